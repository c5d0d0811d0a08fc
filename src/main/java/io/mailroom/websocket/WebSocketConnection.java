package io.mailroom.websocket;

import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection: a byte-counted queue of shared, already encoded frames, written to the
 * socket in batches, and the closing handshake.
 *
 * <p>Any thread may {@link #send}; none blocks. Whoever finds the connection idle becomes its one
 * writer: it copies queued frames into a pooled buffer (as many as fit, the last one perhaps in
 * part) and hands that buffer to the socket in one write. A write the socket takes at once
 * completes on the writer's own thread, which goes on with the next batch; a write the socket
 * cannot take at once goes pending, and its completion, on a container thread when the socket
 * becomes writable, carries on as the writer. So frames queued while a write waits all go out in
 * the next batch, and the socket's writability, not one completion per frame, paces the writing.
 * The buffer goes back to the pool as soon as the queue is empty.
 *
 * <p>The bound counts the payload bytes of the frames waiting in the queue, not those already copied
 * into the batch being written (at most one buffer, like the kernel's, whose buffers it does not
 * count either). A frame that finds the queue empty is never refused; one that takes the queue past
 * the bound closes the connection with 1008 {@code slow_consumer} at once: the queue is dropped, the
 * frame the socket is partway through is finished (a close frame cannot go inside another frame),
 * then the close frame goes. Pings and pongs go ahead of queued frames.
 */
public final class WebSocketConnection {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketConnection.class);
    private static final WireFrame PING = WireFrame.ping();

    private static final int OPEN = 0;
    /** {@link #close} was called: the queue goes out, then the close frame. */
    private static final int DRAINING = 1;
    /** Closing without the queue (slow consumer, the peer's close, a protocol error). */
    private static final int ABORTING = 2;
    private static final int CLOSED = 3;

    // the write call's phases: who carries on after it (the writer's thread, or the completion)
    private static final int IDLE = 0;
    private static final int IN_CALL = 1;
    private static final int AWAY = 2;
    private static final int DONE = 3;
    private static final int FAILED = 4;

    private final WireChannel channel;
    private final WebSocketTransport transport;
    private final long bound;
    private final ConcurrentLinkedQueue<WireFrame> queue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<WireFrame> control = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicInteger call = new AtomicInteger();
    private final AtomicBoolean pingWanted = new AtomicBoolean();
    private final AtomicBoolean told = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Completion completion = new Completion();
    private volatile WebSocketListener listener;
    private volatile int state = OPEN;
    private volatile boolean pingPending;
    private volatile WireFrame closeFrame;
    private volatile boolean peerClosed;
    private volatile boolean closeWritten;
    private volatile ScheduledFuture<?> deadline;
    /** The peer sent something (a frame, a pong) since the last keep-alive look. */
    private volatile boolean heard;

    // the keep-alive's own: touched only by the transport's timer thread
    private long nextPingNanos;
    private boolean awaitingPong;

    // the writer's own: touched only by whoever holds `writing`
    private ByteBuffer batch;
    private WireFrame partial;
    private int partialAt;
    private boolean closeSent;
    private boolean batchHasPing;
    private boolean batchHasClose;

    WebSocketConnection(WireChannel channel, WebSocketTransport transport) {
        this.channel = channel;
        this.transport = transport;
        this.bound = transport.settings().outboundQueueBytes();
        this.nextPingNanos = System.nanoTime() + transport.settings().pingInterval().toNanos();
    }

    void listen(WebSocketListener listener) {
        this.listener = listener;
        if (state == CLOSED) {
            tell();
        }
    }

    /**
     * Queues {@code frame}. False when the connection is closing or closed, or when this frame took
     * the queue past the bound, in which case the connection is being closed 1008
     * {@code slow_consumer}.
     */
    public boolean send(WireFrame frame) {
        if (state != OPEN) {
            return false;
        }
        int n = frame.payloadLength();
        long q = queuedBytes.addAndGet(n);
        if (q > bound && q != n) {
            queuedBytes.addAndGet(-n);
            LOG.debug("closing {}: outbound queue past {} bytes", channel.describe(), bound);
            abort(1008, "slow_consumer");
            return false;
        }
        if (!writing.get() && writing.compareAndSet(false, true)) {
            // the writer role was free: nothing of this connection is being written, so unless frames
            // queued before are still waiting, this one goes straight into a batch, without the queue
            if (queue.isEmpty()) {
                queuedBytes.addAndGet(-n);
                transport.handedOff(frame);
                partial = frame;
                partialAt = 0;
            } else {
                queue.add(frame);
            }
            if (writeBatches()) {
                pump();
            }
            return true;
        }
        queue.add(frame);
        pump();
        return true;
    }

    /** Closes once the frames already queued are written. The first close wins. */
    public void close(int code, String reason) {
        synchronized (this) {
            if (state != OPEN) {
                return;
            }
            closeFrame = WireFrame.close(code, reason);
            state = DRAINING;
        }
        startDeadline();
        pump();
    }

    /** Sends a ping ahead of the frames queued (one at a time: a ping already waiting is not doubled). */
    public void ping() {
        if (state == OPEN && pingWanted.compareAndSet(false, true)) {
            pingPending = true;
            pump();
        }
    }

    /** Whether the last ping has not been written yet. */
    public boolean pingPending() {
        return pingPending;
    }

    /** Whether nothing has closed or started to close the connection. */
    public boolean isOpen() {
        return state == OPEN;
    }

    /** The payload bytes waiting in the queue now. */
    public long queuedBytes() {
        return queuedBytes.get();
    }

    /** Completes when the TCP connection is closed. */
    public CompletableFuture<Void> whenClosed() {
        return closed;
    }

    // ---- keep-alive, from the transport's timer thread

    /**
     * Once per ping interval: a peer that has sent nothing since the last ping, which did go out,
     * is gone; close it 1001 {@code ping timeout} at once (its queue dropped) and tell the listener.
     * A ping still behind queued frames means a slow peer, not a dead one: the outbound bound and
     * the write timeout judge that. Otherwise ping.
     */
    void keepAlive(long now, long interval) {
        if (state != OPEN || now - nextPingNanos < 0) {
            return;
        }
        nextPingNanos = now + interval;
        if (awaitingPong && !heard) {
            if (pingPending) {
                return;
            }
            LOG.debug("closing {}: no answer to a ping", channel.describe());
            peerClosed = true; // no answer is expected from a dead peer: the socket closes once the close frame is out
            abort(1001, "ping timeout");
            tell();
            return;
        }
        heard = false;
        awaitingPong = true;
        ping();
    }

    // ---- from the read side

    /** The peer sent bytes: it is alive. */
    void heard() {
        heard = true;
    }

    void pong(byte[] payload, int length) {
        if (state < ABORTING) {
            control.add(WireFrame.pong(payload, length));
            pump();
        }
    }

    /** The peer's close frame: answered with the same code, without the queue, then the socket closes. */
    void peerClose(int code) {
        peerClosed = true;
        if (closeWritten) {
            finish();
            return;
        }
        abort(code == 1005 ? 1000 : code, "");
        tell();
    }

    /**
     * The peer broke the protocol: closes with {@code code}, without the queue, and the socket as
     * soon as the close frame is out (RFC 6455 §7.1.7): reads have stopped, so no reply can come.
     */
    void protocolError(int code, String reason) {
        LOG.debug("closing {}: {} ({})", channel.describe(), reason, code);
        peerClosed = true; // nothing more is read: as after the peer's close, finish once our close frame is written
        if (closeWritten) {
            finish();
            return;
        }
        abort(code, reason);
        tell();
    }

    /** The socket ended (the peer went, or an error): nothing more is written. */
    void finish() {
        synchronized (this) {
            if (state == CLOSED) {
                return;
            }
            state = CLOSED;
        }
        queue.clear();
        control.clear();
        channel.close();
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
        }
        closed.complete(null);
        tell();
    }

    private void tell() {
        WebSocketListener l = listener;
        if (l != null && told.compareAndSet(false, true)) {
            try {
                l.onClosed();
            } catch (RuntimeException e) {
                LOG.warn("listener of {} failed on close", channel.describe(), e);
            }
        }
    }

    private void abort(int code, String reason) {
        synchronized (this) {
            if (state >= ABORTING) {
                return;
            }
            if (closeFrame == null) {
                closeFrame = WireFrame.close(code, reason);
            }
            state = ABORTING;
        }
        queue.clear();
        queuedBytes.set(0);
        startDeadline();
        pump();
    }

    /** However the closing goes, the socket is closed within the close timeout. */
    private void startDeadline() {
        deadline = transport.timer().schedule(this::finish,
                transport.settings().closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (state == CLOSED) {
            deadline.cancel(false);
        }
    }

    // ---- the writer

    private void pump() {
        while (!writing.get() && writing.compareAndSet(false, true)) {
            if (!writeBatches()) {
                return;
            }
        }
    }

    /**
     * Writes batches while holding the writer role. False when the role went with a pending write
     * (its completion carries on) or the connection failed; true when the role was released and work
     * may have come in since (the caller tries to take it again).
     */
    private boolean writeBatches() {
        while (true) {
            if (state == CLOSED || !fill()) {
                if (batch != null) {
                    transport.buffers().release(batch);
                }
                batch = null;
                writing.set(false);
                return hasWork();
            }
            call.set(IN_CALL);
            channel.write(batch, completion);
            if (call.compareAndSet(IN_CALL, AWAY)) {
                return false;
            }
            if (call.get() == FAILED) {
                return false;
            }
            written();
        }
    }

    /** What can be written now, as far as the writer can tell; never true when {@link #fill} would find nothing. */
    private boolean hasWork() {
        int s = state;
        if (s == CLOSED || closeSent) {
            return false;
        }
        // closing (DRAINING, ABORTING) always has something left: the queue, then the close frame
        return s != OPEN || !queue.isEmpty() || !control.isEmpty() || pingWanted.get();
    }

    /** Fills the batch buffer; false when there is nothing to write. */
    private boolean fill() {
        if (batch == null) {
            batch = transport.buffers().acquire();
        }
        ByteBuffer b = batch;
        b.clear();
        if (partial != null) {
            copyPartial(b);
        }
        if (partial == null && !closeSent) {
            WireFrame c;
            while ((c = control.peek()) != null && b.remaining() >= c.length()) {
                control.poll();
                b.put(c.bytes());
            }
            if (pingWanted.get() && b.remaining() >= PING.length() && state < ABORTING) {
                pingWanted.set(false);
                b.put(PING.bytes());
                batchHasPing = true;
            }
            int s = state;
            if (s < ABORTING) {
                WireFrame f;
                while (partial == null && b.hasRemaining() && (f = queue.poll()) != null) {
                    queuedBytes.addAndGet(-f.payloadLength());
                    transport.handedOff(f);
                    partial = f;
                    partialAt = 0;
                    copyPartial(b);
                }
            }
            WireFrame close = closeFrame;
            if (partial == null && close != null && b.remaining() >= close.length()
                    && (s == ABORTING || (s == DRAINING && queue.isEmpty()))) {
                b.put(close.bytes());
                closeSent = true;
                batchHasClose = true;
            }
        }
        b.flip();
        return b.hasRemaining();
    }

    private void copyPartial(ByteBuffer b) {
        byte[] bytes = partial.bytes();
        int n = Math.min(b.remaining(), bytes.length - partialAt);
        b.put(bytes, partialAt, n);
        partialAt += n;
        if (partialAt == bytes.length) {
            partial = null;
        }
    }

    /** The batch is written. */
    private void written() {
        if (batchHasPing) {
            batchHasPing = false;
            if (!pingWanted.get()) {
                pingPending = false;
            }
        }
        if (batchHasClose) {
            batchHasClose = false;
            closeWritten = true;
            if (peerClosed) {
                finish();
            }
        }
    }

    /** The end of a write: inline (the writer goes on) or later (this goes on as the writer). */
    private final class Completion implements CompletionHandler<Long, Void> {
        @Override
        public void completed(Long bytes, Void attachment) {
            if (call.compareAndSet(IN_CALL, DONE)) {
                return;
            }
            call.set(IDLE);
            written();
            if (writeBatches()) {
                pump();
            }
        }

        @Override
        public void failed(Throwable e, Void attachment) {
            call.set(FAILED); // the writer role is kept: nothing is written again
            LOG.debug("write to {} failed: {}", channel.describe(), e.toString());
            ByteBuffer b = batch;
            batch = null;
            if (b != null) {
                transport.buffers().release(b);
            }
            finish();
        }
    }
}
