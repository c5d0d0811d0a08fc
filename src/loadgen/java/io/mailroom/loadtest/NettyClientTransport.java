package io.mailroom.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;

/**
 * {@link ClientTransport} on Netty's WebSocket client, over native epoll where it loads (NIO
 * otherwise). Netty answers the server's pings itself; a close frame is reported with its code.
 */
final class NettyClientTransport implements ClientTransport {
    private static final int MAX_FRAME = 1 << 20;
    private final Bootstrap bootstrap;

    NettyClientTransport(int threads) {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        // daemon threads, as the JDK transport's: a generator that fails still exits
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("ws", true), io);
        bootstrap = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
    }

    @Override
    public void open(String host, int port, String path, Events events) {
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(URI.create("ws://" + host + ":" + port + path))
                .maxFramePayloadLength(MAX_FRAME)
                .handleCloseFrames(false)
                .handshakeTimeoutMillis(30_000)
                .build();
        bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                        new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(MAX_FRAME),
                        new Frames(events));
            }
        }).connect(host, port).addListener(f -> {
            if (!f.isSuccess()) {
                events.closed("connect " + f.cause());
            }
        });
    }

    private static final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final Events events;

        Frames(Events events) {
            this.events = events;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                events.opened(new NettyConn(ctx.channel()));
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                events.closed("handshake timed out");
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame text) {
                events.onFrame(text.text());
            } else if (frame instanceof CloseWebSocketFrame close) {
                events.closed("close " + close.statusCode() + " " + close.reasonText());
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            events.closed("closed");
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            events.closed("error " + cause);
            ctx.close();
        }
    }

    private record NettyConn(Channel channel) implements Conn {
        @Override
        public void sendText(String frame) {
            channel.writeAndFlush(new TextWebSocketFrame(frame), channel.voidPromise());
        }

        @Override
        public void abort() {
            channel.close();
        }
    }
}
