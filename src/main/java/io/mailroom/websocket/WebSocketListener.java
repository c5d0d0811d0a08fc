package io.mailroom.websocket;

/**
 * What an application hears from one connection. Calls come one at a time, on a container thread,
 * and must not block: hand the event to a process and return.
 */
public interface WebSocketListener {
    /** A complete text message, valid UTF-8, within the message limit. */
    void onText(String text);

    /** The peer answered a ping. */
    void onPong();

    /**
     * A text message over the limit of {@code limit} bytes was refused unread; every later data
     * frame is skipped. The application says why and closes (1009).
     */
    void onTooLarge(int limit);

    /** A binary message was refused; every later data frame is skipped. The application says why and closes (1003). */
    void onBinary();

    /** The connection is closing or closed: nothing more reaches the peer. Called once. */
    void onClosed();
}
