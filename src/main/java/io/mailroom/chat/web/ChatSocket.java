package io.mailroom.chat.web;

import io.mailroom.chat.ClientSocket;
import io.mailroom.chat.OutFrame;
import io.mailroom.websocket.WebSocketConnection;

/** A session's {@link ClientSocket}: its frames, already encoded, go to the connection's queue as they are. */
record ChatSocket(WebSocketConnection connection) implements ClientSocket {
    @Override
    public boolean send(OutFrame frame) {
        return connection.send(frame.wire());
    }

    @Override
    public void close(int code, String reason) {
        connection.close(code, reason);
    }
}
