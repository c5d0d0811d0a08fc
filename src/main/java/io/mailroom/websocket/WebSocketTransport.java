package io.mailroom.websocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every connection of one server shares: the settings, the pool of write buffers, one timer
 * thread for closing handshakes and keep-alive pings, one reader thread for the plain sockets, and
 * the set of open connections (which shutdown waits for).
 */
public final class WebSocketTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketTransport.class);
    /** A batch: big enough for a chat frame of 16 KiB and many small ones, small enough to hold per writing socket. */
    static final int BUFFER_SIZE = 32 * 1024;
    private static final int MAX_IDLE_BUFFERS = 256;

    private final WebSocketSettings settings;
    private final BufferPool buffers = new BufferPool(BUFFER_SIZE, MAX_IDLE_BUFFERS);
    private final ScheduledThreadPoolExecutor timer;
    private final SocketReader reader = new SocketReader();
    private final Consumer<WireFrame> handOff;
    private final Set<WebSocketConnection> open = ConcurrentHashMap.newKeySet();

    /**
     * @param handOff told of each frame as it is handed to a socket (for delivery metrics); must be
     *                cheap and must not block
     */
    public WebSocketTransport(WebSocketSettings settings, Consumer<WireFrame> handOff) {
        this.settings = settings;
        this.handOff = handOff;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "websocket-close-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        long interval = settings.pingInterval().toNanos();
        if (interval > 0) {
            // one sweep for every connection, not a timer each: an idle server with thousands of
            // connections wakes this one thread a few times a second, and no process at all
            long period = Math.clamp(interval / 2, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
            timer.scheduleAtFixedRate(() -> keepAlive(interval), period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** Pings the connections due a ping, and closes those that did not answer the last one. */
    private void keepAlive(long interval) {
        long now = System.nanoTime();
        for (WebSocketConnection c : open) {
            try {
                c.keepAlive(now, interval);
            } catch (RuntimeException e) {
                LOG.warn("keep-alive of a connection failed", e);
            }
        }
    }

    public WebSocketSettings settings() {
        return settings;
    }

    /** Connections not closed yet. */
    public Set<WebSocketConnection> openConnections() {
        return open;
    }

    /** A new connection on {@code channel}, listened to by what {@code endpoint} answers. */
    WebSocketConnection open(WireChannel channel, WebSocketEndpoint endpoint, HandshakeRequest request) {
        WebSocketConnection c = new WebSocketConnection(channel, this);
        open.add(c);
        c.whenClosed().whenComplete((v, e) -> open.remove(c));
        c.listen(endpoint.open(c, request));
        return c;
    }

    BufferPool buffers() {
        return buffers;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    SocketReader reader() {
        return reader;
    }

    void handedOff(WireFrame frame) {
        if (frame.originNanos() != 0) {
            try {
                handOff.accept(frame);
            } catch (RuntimeException e) {
                LOG.warn("the hand-off listener failed; the frame goes out regardless", e);
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        reader.close();
    }
}
