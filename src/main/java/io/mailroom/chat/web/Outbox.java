package io.mailroom.chat.web;

import io.mailroom.chat.ChatMetrics;
import io.mailroom.chat.ClientSocket;
import io.mailroom.chat.OutFrame;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket's outbound side: a queue of frames written one at a time with the container's
 * asynchronous send (Tomcat allows one outstanding), each completion starting the next. Callers
 * never block: {@link #send} only queues. The UTF-8 bytes waiting in the queue (not the frame being
 * written, which is the container's and the kernel's) are counted; when a frame takes them past the
 * bound, the queue is dropped and the socket closed with 1008 {@code slow_consumer}.
 *
 * <p>Blocking operations of the WebSocket API (ping, close) run on {@code blocking}, never on the
 * caller's thread. Whoever holds the {@code writing} flag is the only writer to the socket.
 */
final class Outbox implements ClientSocket, SendHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final Object PING = new Object();
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private static final int OPEN = 0;
    private static final int DRAINING = 1;
    private static final int CLOSED = 2;

    private final Session session;
    private final RemoteEndpoint.Async remote;
    private final long bound;
    private final ChatMetrics metrics;
    private final Executor blocking;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicBoolean pingQueued = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile int state = OPEN;
    private volatile int closeCode;
    private volatile String closeReason;

    Outbox(Session session, long bound, ChatMetrics metrics, Executor blocking) {
        this.session = session;
        this.remote = session.getAsyncRemote();
        this.bound = bound;
        this.metrics = metrics;
        this.blocking = blocking;
    }

    @Override
    public boolean send(OutFrame frame) {
        if (state != OPEN) {
            return false;
        }
        long q = queuedBytes.addAndGet(frame.bytes());
        if (q > bound && q != frame.bytes()) { // a frame that finds nothing waiting is never refused
            queuedBytes.addAndGet(-frame.bytes());
            slowConsumer();
            return false;
        }
        queue.add(frame);
        pump();
        return true;
    }

    @Override
    public void close(int code, String reason) {
        synchronized (this) {
            if (state != OPEN) {
                return;
            }
            closeCode = code;
            closeReason = reason;
            state = DRAINING;
        }
        pump();
    }

    @Override
    public void ping() {
        if (state == OPEN && pingQueued.compareAndSet(false, true)) {
            queue.add(PING);
            pump();
        }
    }

    @Override
    public boolean pingPending() {
        return pingQueued.get();
    }

    /** The container closed the socket (the peer went, or an error): nothing more is written. */
    void closedByContainer() {
        state = CLOSED;
        queue.clear();
        closed.complete(null);
    }

    /** Completes when the socket is closed. */
    CompletableFuture<Void> whenClosed() {
        return closed;
    }

    boolean isOpen() {
        return state == OPEN;
    }

    private void slowConsumer() {
        synchronized (this) {
            if (state == CLOSED) {
                return;
            }
            state = CLOSED;
        }
        queue.clear();
        LOG.debug("closing {}: outbound queue past {} bytes", session.getId(), bound);
        blocking.execute(() -> closeNow(1008, "slow_consumer"));
    }

    /** Writes the next frame if no one is writing; the completion of a write comes back here. */
    private void pump() {
        while (writing.compareAndSet(false, true)) {
            if (state == CLOSED) {
                return; // keeps the flag: nothing is ever written again
            }
            Object item = queue.poll();
            if (item == null) {
                if (state == DRAINING) {
                    state = CLOSED;
                    int code = closeCode;
                    String reason = closeReason;
                    blocking.execute(() -> closeNow(code, reason));
                    return;
                }
                writing.set(false);
                if (queue.isEmpty() && state == OPEN) {
                    return;
                }
                continue; // something arrived (or a close) between the poll and the release
            }
            if (item == PING) {
                pingQueued.set(false);
                blocking.execute(this::pingNow);
                return;
            }
            OutFrame frame = (OutFrame) item;
            queuedBytes.addAndGet(-frame.bytes());
            metrics.handedOff(frame);
            try {
                remote.sendText(frame.text(), this);
            } catch (RuntimeException e) {
                LOG.debug("send on {} failed: {}", session.getId(), e.toString());
                closedByContainer();
            }
            return;
        }
    }

    /** The container finished writing a frame. */
    @Override
    public void onResult(SendResult result) {
        if (!result.isOK()) {
            LOG.debug("write on {} failed: {}", session.getId(), String.valueOf(result.getException()));
            closedByContainer();
            return;
        }
        writing.set(false);
        pump();
    }

    private void pingNow() {
        try {
            session.getBasicRemote().sendPing(EMPTY.duplicate());
        } catch (Exception e) {
            LOG.debug("ping on {} failed: {}", session.getId(), e.toString());
        } finally {
            writing.set(false);
            pump();
        }
    }

    private void closeNow(int code, String reason) {
        try {
            if (session.isOpen()) {
                session.close(new CloseReason(() -> code, reason));
            }
        } catch (Exception e) {
            LOG.debug("close of {} failed: {}", session.getId(), e.toString());
        } finally {
            closed.complete(null);
        }
    }
}
