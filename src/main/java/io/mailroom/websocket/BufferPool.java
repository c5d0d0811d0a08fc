package io.mailroom.websocket;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct write buffers shared by all connections: a connection holds one only while it has bytes
 * to write, so an idle connection holds none. Direct, because the socket then writes from it with
 * no copy of its own (a heap buffer is copied into a temporary direct one by the JDK).
 */
final class BufferPool {
    private final int bufferSize;
    private final ArrayBlockingQueue<ByteBuffer> idle;

    BufferPool(int bufferSize, int maxIdle) {
        this.bufferSize = bufferSize;
        this.idle = new ArrayBlockingQueue<>(maxIdle);
    }

    ByteBuffer acquire() {
        ByteBuffer b = idle.poll();
        return b != null ? b : ByteBuffer.allocateDirect(bufferSize);
    }

    /** Gives {@code b} back; beyond {@code maxIdle} idle buffers it is left to the collector. */
    void release(ByteBuffer b) {
        b.clear();
        idle.offer(b);
    }
}
