package io.mailroom.chat;

/**
 * A session's connection to its client, as the session process sees it. Every method is
 * thread-safe and never blocks: writes are queued and go out asynchronously, in order.
 */
public interface ClientSocket {

    /**
     * Queues {@code frame}. False when the socket is closed or closing, or when this frame took
     * its outbound queue past the bound, in which case the socket is being closed with 1008
     * {@code slow_consumer}: the session should end.
     */
    boolean send(OutFrame frame);

    /** Closes the socket once the frames already queued are written. The first close wins. */
    void close(int code, String reason);

    /** Sends a WebSocket ping after the frames already queued. */
    void ping();

    /**
     * Whether a ping is still waiting behind queued frames: until it is written the peer cannot
     * answer it, so a missing pong then says the client is behind (which the outbound bound
     * judges), not that it is gone.
     */
    boolean pingPending();
}
