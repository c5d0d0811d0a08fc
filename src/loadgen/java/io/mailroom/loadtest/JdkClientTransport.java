package io.mailroom.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** {@link ClientTransport} on the JDK's asynchronous WebSocket client: one {@code HttpClient} per host. */
final class JdkClientTransport implements ClientTransport {
    private final ExecutorService executor;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    JdkClientTransport(int threads) {
        executor = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("ws-", 0).factory());
    }

    @Override
    public void open(String host, int port, String path, Events events) {
        HttpClient client = clients.computeIfAbsent(host,
                h -> HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(30)).build());
        client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                .buildAsync(URI.create("ws://" + host + ":" + port + path), new Listener(events))
                .whenComplete((ws, e) -> {
                    if (e != null) {
                        events.closed("connect " + e);
                    }
                });
    }

    private static final class Listener implements WebSocket.Listener, Conn {
        private final Events events;
        private volatile WebSocket ws;
        private StringBuilder partial;
        /** The JDK's WebSocket takes one send at a time: each waits for the one before. */
        private CompletableFuture<?> chain = CompletableFuture.completedFuture(null);

        Listener(Events events) {
            this.events = events;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            events.opened(this);
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (!last || partial != null) {
                if (partial == null) {
                    partial = new StringBuilder();
                }
                partial.append(data);
                if (last) {
                    String whole = partial.toString();
                    partial = null;
                    events.onFrame(whole);
                }
            } else {
                events.onFrame(data.toString());
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            events.closed("close " + statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            events.closed("error " + error);
        }

        @Override
        public synchronized void sendText(String frame) {
            WebSocket w = ws;
            chain = chain.thenCompose(x -> w.sendText(frame, true)).exceptionally(e -> null);
        }

        @Override
        public void abort() {
            ws.abort();
        }
    }
}
