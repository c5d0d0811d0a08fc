package io.mailroom.websocket;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that reads every plain upgraded socket of a transport, from a selector of its own.
 * Tomcat reads a socket by handing each poller event to an executor thread and registering read
 * interest again afterwards: three thread hand-offs for every frame read, which for an idle
 * server's pongs (633 a second for 19,000 sessions) was two thirds of its CPU. Here a read is the
 * selector's wake-up and one system call, and a burst of pongs is one wake-up. A socket's reads are
 * bounded per round, so one flooding peer cannot starve the others; the selector is level-triggered,
 * so whatever a round leaves comes up again in the next.
 */
final class SocketReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SocketReader.class);
    /** Reads of one socket in one round before the reader moves on to the next socket. */
    static final int READS_PER_ROUND = 4;
    /** A reading thread's buffer, the reader's or a container thread's: 16 KiB, as Tomcat's socket read buffer. */
    static final int READ_BUFFER_BYTES = 16 * 1024;

    /** What the reader reads for. */
    interface Target {
        /**
         * The socket has bytes (or its end): reads at most {@code maxReads} times into {@code buffer}
         * and handles them; false once the socket is to be read no more.
         */
        boolean readable(ByteBuffer buffer, int maxReads);
    }

    private record Registration(SocketChannel channel, Target target) {}

    private final Selector selector;
    private final Queue<Registration> registrations = new ConcurrentLinkedQueue<>();
    /** Heap: the frame decoder reads its array. */
    private final ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
    private volatile boolean running = true;

    SocketReader() {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("no selector for the WebSocket reader", e);
        }
        Thread.ofPlatform().daemon().name("websocket-reader").start(this::run);
    }

    /**
     * From now on the reader reads {@code channel} for {@code target}. The caller must have stopped
     * reading it, and read everything its container had buffered.
     */
    void register(SocketChannel channel, Target target) {
        registrations.add(new Registration(channel, target));
        selector.wakeup();
    }

    /**
     * A socket of the reader was closed: the selector lets its descriptor go only at its next
     * selection, so it is woken for one now.
     */
    void closed() {
        selector.wakeup();
    }

    private void run() {
        while (running) {
            try {
                selector.select();
                register();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    read(key);
                }
            } catch (ClosedSelectorException e) {
                return;
            } catch (Throwable e) {
                // a reader that ended would leave every socket unread while the server looks up
                LOG.error("the WebSocket reader's selector failed; it goes on", e);
            }
        }
    }

    private void register() {
        for (Registration r; (r = registrations.poll()) != null; ) {
            try {
                r.channel().register(selector, SelectionKey.OP_READ, r.target());
            } catch (ClosedChannelException e) {
                // closed before it came here: whoever closed it has ended the connection
            }
        }
    }

    private void read(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        try {
            if (!((Target) key.attachment()).readable(buffer, READS_PER_ROUND)) {
                key.cancel();
            }
        } catch (Throwable e) {
            // the target answers a listener's exception itself; this is worse: drop the socket, keep the reader
            LOG.error("reading a WebSocket failed; its socket is closed", e);
            key.cancel();
            try {
                key.channel().close();
            } catch (IOException closing) {
                LOG.debug("closing it: {}", closing.toString());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing the WebSocket reader's selector: {}", e.toString());
        }
    }
}
