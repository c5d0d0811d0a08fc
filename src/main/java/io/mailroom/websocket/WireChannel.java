package io.mailroom.websocket;

import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;

/** The socket under a {@link WebSocketConnection}, as the container provides it. */
interface WireChannel {
    /**
     * Writes all of {@code buffer} without blocking the caller, as far as the socket takes it now
     * and the rest when it becomes writable. {@code done} is called once, perhaps before this
     * returns: completed when every byte is written, failed on an error or when the socket took no
     * bytes for the write timeout. At most one write is outstanding.
     */
    void write(ByteBuffer buffer, CompletionHandler<Long, Void> done);

    /** Closes the TCP connection; later writes fail. Idempotent. */
    void close();

    /** The peer, for logs. */
    String describe();
}
