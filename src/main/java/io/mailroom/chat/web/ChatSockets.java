package io.mailroom.chat.web;

import io.mailroom.websocket.WebSocketConnection;
import io.mailroom.websocket.WebSocketTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, waits for the chat's sockets to be closed before the web server stops: the
 * supervision tree stops first (each session closes its socket with 1001 "going away"), then this,
 * then the server, so the close frames go out.
 */
public class ChatSockets implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ChatSockets.class);

    private final WebSocketTransport transport;
    private final Duration timeout;
    private volatile boolean running;

    public ChatSockets(WebSocketTransport transport, Duration timeout) {
        this.transport = transport;
        this.timeout = timeout;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        List<CompletableFuture<Void>> closing = transport.openConnections().stream().map(WebSocketConnection::whenClosed).toList();
        if (closing.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("{} chat sockets not closed within {}", transport.openConnections().size(), timeout);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** After the supervision tree (which stops at DEFAULT_PHASE - 512), before the web server's graceful stop. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 768;
    }
}
