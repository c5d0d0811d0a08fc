package io.mailroom.chat;

/**
 * A session's connection to its client, as the session process sees it. Every method is
 * thread-safe and never blocks: writes are queued and go out asynchronously, in order. Keeping the
 * connection alive (pings, a dead peer's close) is the transport's; the session hears of it as the
 * socket closing.
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
}
