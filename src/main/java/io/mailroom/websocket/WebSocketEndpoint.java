package io.mailroom.websocket;

/** An application's side of a WebSocket path: what to do with each connection that opens. */
@FunctionalInterface
public interface WebSocketEndpoint {
    /**
     * A handshake succeeded and {@code connection} is open. Returns who listens to it. Must not
     * block; it may send and close at once (a refused admission, say).
     */
    WebSocketListener open(WebSocketConnection connection, HandshakeRequest request);
}
