package io.mailroom.websocket;

import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.apache.coyote.http11.upgrade.InternalHttpUpgradeHandler;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler.SocketState;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.SSLSupport;
import org.apache.tomcat.util.net.SecureNioChannel;
import org.apache.tomcat.util.net.SocketEvent;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.apache.tomcat.util.net.SocketWrapperBase.BlockingMode;
import org.apache.tomcat.util.net.SocketWrapperBase.CompletionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket of one upgraded connection, on Tomcat's own upgrade interface (the one its JSR-356
 * WebSocket is built on). Tomcat's first read event reads it on a container thread; from then on a
 * plain socket is read by the transport's {@link SocketReader} (a TLS one stays with Tomcat's
 * poller); either way the bytes go through the connection's {@link FrameDecoder}, from a buffer of
 * the reading thread, so a connection between reads holds none. A write goes first straight to the
 * socket channel; what the socket does not take at once goes to Tomcat's non-blocking write with a
 * completion, which Tomcat's poller continues when the socket becomes writable and fails when the
 * socket took no bytes for the write timeout.
 */
public final class TomcatUpgradeHandler implements InternalHttpUpgradeHandler, WireChannel, FrameDecoder.Sink, SocketReader.Target {
    private static final Logger LOG = LoggerFactory.getLogger(TomcatUpgradeHandler.class);
    private static final ThreadLocal<ByteBuffer> READ_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocate(SocketReader.READ_BUFFER_BYTES));

    private WebSocketTransport transport;
    private WebSocketEndpoint endpoint;
    private HandshakeRequest request;
    private SocketWrapperBase<?> socket;
    private SocketChannel plainChannel;
    private long writeTimeoutMillis;
    private WebSocketConnection connection;
    private FrameDecoder decoder;
    private WebSocketListener listener;
    /** Read by the transport's reader since Tomcat's first read event, not by Tomcat. */
    private volatile boolean handedOver;

    /** Tomcat creates the handler when the servlet upgrades; {@link #prepare} follows at once. */
    public TomcatUpgradeHandler() {}

    void prepare(WebSocketTransport transport, WebSocketEndpoint endpoint, HandshakeRequest request) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.request = request;
        this.writeTimeoutMillis = transport.settings().writeTimeout().toMillis();
    }

    @Override
    public void setSocketWrapper(SocketWrapperBase<?> wrapper) {
        this.socket = wrapper;
        // a plain (not TLS) NIO socket may be written directly; TLS goes through Tomcat's engine
        if (wrapper.getSocket() instanceof NioChannel channel && !(channel instanceof SecureNioChannel)) {
            this.plainChannel = channel.getIOChannel();
        }
    }

    @Override
    public void init(WebConnection webConnection) {
        socket.setWriteTimeout(writeTimeoutMillis);
        decoder = new FrameDecoder(transport.settings().maxMessageBytes(), this);
        connection = transport.open(this, (c, r) -> {
            listener = endpoint.open(c, r);
            return listener;
        }, request);
        request = null;
    }

    @Override
    public SocketState upgradeDispatch(SocketEvent status) {
        switch (status) {
            case OPEN_READ -> {
                return read();
            }
            case OPEN_WRITE -> {
                return SocketState.UPGRADED; // writes continue through their completions
            }
            case STOP -> {
                connection.close(1001, "going away");
                return SocketState.UPGRADED;
            }
            default -> { // DISCONNECT, ERROR, TIMEOUT, CONNECT_FAIL
                connection.finish();
                return SocketState.CLOSED;
            }
        }
    }

    /**
     * Tomcat's read event. A plain socket is read here once, which also takes what Tomcat had
     * buffered past the upgrade request, and then handed to the transport's reader: Tomcat reads it
     * no more. A TLS socket stays with Tomcat, whose engine decrypts it.
     */
    private SocketState read() {
        if (handedOver) {
            return SocketState.SUSPENDED; // the reader has it: never two readers at once
        }
        ByteBuffer buf = READ_BUFFER.get();
        Read r = read(buf, Integer.MAX_VALUE, true);
        if (r == Read.MORE && plainChannel != null) {
            handedOver = true;
            transport.reader().register(plainChannel, this);
            return SocketState.SUSPENDED;
        }
        return switch (r) {
            case MORE -> SocketState.UPGRADED;
            case DONE -> SocketState.SUSPENDED; // after the peer's close or a protocol error; the socket closes when our close frame is out
            case CLOSED -> SocketState.CLOSED;
        };
    }

    /** The transport's reader: the socket has bytes. */
    @Override
    public boolean readable(ByteBuffer buffer, int maxReads) {
        return read(buffer, maxReads, false) == Read.MORE;
    }

    private enum Read { MORE, DONE, CLOSED }

    /**
     * Reads into {@code buf} until the socket has nothing more or {@code maxReads} reads are done,
     * feeding the decoder. Through Tomcat's wrapper ({@code viaTomcat}: first its own buffer, then
     * the socket), or straight from the channel.
     */
    private Read read(ByteBuffer buf, int maxReads, boolean viaTomcat) {
        try {
            for (int i = 0; i < maxReads && !decoder.isDone(); i++) {
                buf.clear();
                int n = viaTomcat ? socket.read(false, buf) : plainChannel.read(buf);
                if (n < 0) {
                    connection.finish(); // the peer went without a close frame
                    return Read.CLOSED;
                }
                if (n == 0) {
                    break;
                }
                connection.heard();
                buf.flip();
                decoder.feed(buf);
                if (!viaTomcat && n < buf.capacity()) {
                    break; // most likely all there was: the reader's selector says if not
                }
            }
        } catch (IOException e) {
            LOG.debug("read from {} failed: {}", describe(), e.toString());
            connection.finish();
            return Read.CLOSED;
        } catch (RuntimeException e) {
            // a bug in a listener: this connection ends with 1011; the container and the others carry on
            LOG.warn("the listener of {} failed", describe(), e);
            connection.protocolError(1011, "internal error");
            return Read.DONE;
        }
        return decoder.isDone() ? Read.DONE : Read.MORE;
    }

    // ---- FrameDecoder.Sink: events for the listener, control frames for the connection

    @Override
    public void text(String message) {
        listener.onText(message);
    }

    @Override
    public void ping(byte[] payload, int length) {
        connection.pong(payload, length);
    }

    @Override
    public void pong() {
        listener.onPong();
    }

    @Override
    public void close(int code, String reason) {
        connection.peerClose(code);
    }

    @Override
    public void tooLarge(int limit) {
        listener.onTooLarge(limit);
    }

    @Override
    public void binary() {
        listener.onBinary();
    }

    @Override
    public void protocolError(int code, String reason) {
        connection.protocolError(code, reason);
    }

    // ---- WireChannel

    @Override
    public void write(ByteBuffer buffer, CompletionHandler<Long, Void> done) {
        SocketChannel direct = plainChannel;
        if (direct != null) {
            // first straight to the socket: most writes are taken whole at once, and then this is one
            // system call with no operation object, semaphore or poller registration
            try {
                long n = direct.write(buffer);
                if (!buffer.hasRemaining()) {
                    done.completed(n, null);
                    return;
                }
            } catch (IOException e) {
                done.failed(e, null);
                return;
            }
        }
        // what the socket did not take: Tomcat's write continues it when the socket is writable and
        // fails it at the write timeout
        CompletionState state;
        try {
            state = socket.write(BlockingMode.NON_BLOCK, writeTimeoutMillis, TimeUnit.MILLISECONDS, null,
                    SocketWrapperBase.COMPLETE_WRITE_WITH_COMPLETION, done, buffer);
        } catch (RuntimeException e) { // a socket closed under the write, say: the write failed, not the sender
            done.failed(e, null);
            return;
        }
        if (state == CompletionState.NOT_DONE) {
            // another write is outstanding: the connection never does that, so this is a bug, loudly
            done.failed(new IllegalStateException("a write was already outstanding on " + describe()), null);
        }
    }

    @Override
    public void close() {
        socket.close();
        if (handedOver) {
            transport.reader().closed(); // its selector holds the socket's descriptor until its next selection
        }
    }

    @Override
    public String describe() {
        SocketWrapperBase<?> s = socket;
        return s == null ? "a WebSocket" : "WebSocket " + s.getRemoteAddr() + ":" + s.getRemotePort();
    }

    // ---- the rest of Tomcat's interface

    @Override
    public void timeoutAsync(long now) {
        // timeouts are the socket's write timeout and the connection's close deadline
    }

    @Override
    public void setSslSupport(SSLSupport sslSupport) {
        // TLS, when configured, is Tomcat's and below this handler
    }

    @Override
    public void pause() {
        // nothing to pause: sessions close through the supervision tree on shutdown
    }

    @Override
    public void destroy() {
        if (connection != null) {
            connection.finish();
        }
    }
}
