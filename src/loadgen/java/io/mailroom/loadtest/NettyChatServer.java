package io.mailroom.loadtest;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelMatchers;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.ObjectMapper;

/**
 * The Netty candidate of issue 9's spike (docs/benchmarks.md): the same chat as
 * {@link BaselineChatServer}, the subset of protocol.md §1 that the load generator uses, written as a
 * Netty developer would write it without actors. Native epoll, one event loop per core, Netty's
 * WebSocket codec; a room is a {@link ChannelGroup}, and a broadcast is one JSON encoding in one
 * buffer that {@link ChannelGroup#writeAndFlush} hands to every member as a retained duplicate, each
 * written and flushed on its own channel's event loop. A member whose outbound buffer passes 1 MiB
 * (the write-buffer high water mark, as the Spring baseline's decorator bounds it) is closed.
 * No validation, no history, no limits, no pings.
 *
 * <p>Not part of the product: compiled and run only by {@code bench/chat-load.sh}
 * ({@code CHAT_LOAD_SERVERS=baseline-netty}), on the classpath of {@code bench/netty/pom.xml}.
 *
 * <pre>java -cp … io.mailroom.loadtest.NettyChatServer --server.port=8080 [--threads=N]</pre>
 */
public final class NettyChatServer {
    private static final AttributeKey<String> USER = AttributeKey.valueOf("user");
    private static final AttributeKey<Set<String>> ROOMS = AttributeKey.valueOf("rooms");
    private static final int MAX_FRAME = 64 * 1024;

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, ChannelGroup> rooms = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> seqs = new ConcurrentHashMap<>();

    public static void main(String[] args) throws InterruptedException {
        int port = 8080;
        int threads = Runtime.getRuntime().availableProcessors();
        for (String arg : args) {
            if (arg.startsWith("--server.port=")) {
                port = Integer.parseInt(arg.substring("--server.port=".length()));
            } else if (arg.startsWith("--threads=")) {
                threads = Integer.parseInt(arg.substring("--threads=".length()));
            }
        }
        new NettyChatServer().serve(port, threads);
    }

    void serve(int port, int threads) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("accept"), io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("io"), io);
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws/chat").checkStartsWith(true).maxFramePayloadLength(MAX_FRAME).build();
        ChannelHandler chat = new ChatHandler();
        ChannelHandler notFound = new NotFound();
        Channel server = new ServerBootstrap().group(boss, workers)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1000)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_FRAME),
                                new WebSocketServerProtocolHandler(ws), chat, notFound);
                    }
                })
                .bind(port).sync().channel();
        System.out.println("netty chat on :" + port + ", " + threads + " event loops, "
                + (epoll ? "epoll" : "nio"));
        server.closeFuture().sync();
    }

    @ChannelHandler.Sharable
    final class ChatHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
                List<String> users = new QueryStringDecoder(hs.requestUri()).parameters().get("user");
                String user = users == null ? "?" : users.get(0);
                ctx.channel().attr(USER).set(user);
                ctx.channel().attr(ROOMS).set(new HashSet<>()); // touched only on this channel's event loop
                ctx.writeAndFlush(frame("type", "welcome", "user", user, "session", ctx.channel().id().asShortText()));
            } else {
                super.userEventTriggered(ctx, event);
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame message) {
            Channel ch = ctx.channel();
            Map<String, Object> in = json.readValue(message.text(), Map.class);
            String user = ch.attr(USER).get();
            String room = (String) in.get("room");
            switch (String.valueOf(in.get("type"))) {
                case "join" -> {
                    ChannelGroup members = rooms.computeIfAbsent(room, r -> new DefaultChannelGroup(r, GlobalEventExecutor.INSTANCE));
                    if (members.add(ch)) {
                        ch.attr(ROOMS).get().add(room);
                        members.writeAndFlush(frame("type", "presence", "room", room, "event", "join", "user", user),
                                ChannelMatchers.isNot(ch));
                    }
                    List<String> names = new ArrayList<>();
                    for (Channel m : members) {
                        names.add(m.attr(USER).get());
                    }
                    names.sort(null);
                    ctx.writeAndFlush(frame("type", "joined", "room", room, "members", names, "history", List.of()));
                }
                case "send" -> {
                    ChannelGroup members = rooms.get(room);
                    if (members == null || !members.contains(ch)) {
                        ctx.writeAndFlush(frame("type", "error", "code", "not_joined", "message", "join first"));
                        return;
                    }
                    long seq = seqs.computeIfAbsent(room, r -> new AtomicLong()).incrementAndGet();
                    String ts = Instant.now().toString();
                    members.writeAndFlush(frame("type", "message", "room", room, "seq", seq, "from", user,
                            "text", in.get("text"), "ts", ts), ChannelMatchers.isNot(ch));
                    Object ref = in.get("ref");
                    ctx.writeAndFlush(ref == null
                            ? frame("type", "ack", "room", room, "seq", seq, "ts", ts)
                            : frame("type", "ack", "room", room, "ref", ref, "seq", seq, "ts", ts));
                }
                default -> ctx.writeAndFlush(frame("type", "error", "code", "unknown_type", "message", "unknown type"));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (!ctx.channel().isWritable()) { // a slow consumer: 1 MiB waits in its outbound buffer
                ctx.close(); // a close frame would queue behind that MiB, so the socket just goes
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Channel ch = ctx.channel();
            Set<String> joined = ch.attr(ROOMS).get();
            if (joined != null) {
                for (String room : joined) {
                    ChannelGroup members = rooms.get(room);
                    if (members != null) {
                        members.remove(ch); // a group forgets a closed channel itself; this is for the presence
                        members.writeAndFlush(frame("type", "presence", "room", room, "event", "leave",
                                "user", ch.attr(USER).get()));
                    }
                }
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset peer or a bad frame: that socket only
        }

        private TextWebSocketFrame frame(Object... kv) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) {
                m.put((String) kv[i], kv[i + 1]);
            }
            return new TextWebSocketFrame(Unpooled.wrappedBuffer(json.writeValueAsBytes(m)));
        }
    }

    /** What is not the WebSocket path: 404. */
    @ChannelHandler.Sharable
    static final class NotFound extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            DefaultFullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.NOT_FOUND);
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
            ctx.writeAndFlush(response).addListener(f -> ctx.close());
        }
    }
}
