package io.mailroom.chaos;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * One chat user that behaves as the UI does (frontend/js/chat-client.js): on any loss of its
 * socket it reconnects with its {@code resume} token, joins its rooms again with {@code since} set
 * to the last seq it has, and after {@code "more":true} pages on with REST before it takes the
 * live frames that came meanwhile. Everything it receives goes to the exact checker.
 *
 * <p>All state is guarded by the client's lock; frames of a socket that is no longer the current
 * one are ignored, as a closed page would never see them.
 */
final class ChaosClient {
    private static final int PAGE = 1000;

    /** A message sent and not yet acknowledged. */
    private record Sent(String room, String text, long at) {}

    /** One socket's life: its listener, and what was joined and is paging on it. */
    private final class Connection implements WebSocket.Listener {
        volatile WebSocket ws;
        int id;
        private final StringBuilder partial = new StringBuilder();
        /** Sends in order: the JDK's WebSocket allows one outstanding send at a time. */
        private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
        boolean welcomed;
        final Set<String> live = new HashSet<>();
        /** room → frames (message, ack) that came while REST paging ran, in order. */
        final Map<String, List<JsonNode>> paging = new HashMap<>();

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonNode frame = ChaosDriver.JSON.readTree(partial.toString());
                partial.setLength(0);
                handle(this, frame);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            lost(this);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            lost(this);
        }

        /** Must hold the client's lock. */
        void sendText(String text) {
            WebSocket w = ws;
            sending = sending.thenCompose(x -> w.sendText(text, true)).whenComplete((x, e) -> {
                if (e != null) {
                    w.abort();
                    lost(this);
                }
            });
        }
    }

    final String user;
    private final ChaosDriver.Shared shared;
    private final Map<String, MemberLog> logs = new LinkedHashMap<>();
    private final Map<String, Sent> pending = new HashMap<>();
    private Connection current;
    private String token;
    private long refs;
    private boolean stopped;
    /** Connections so far, to tell them apart in a member's trail. */
    private int generation;

    ChaosClient(String user, List<String> rooms, ChaosDriver.Shared shared) {
        this.user = user;
        this.shared = shared;
        for (String room : rooms) {
            logs.put(room, new MemberLog(user, room));
        }
    }

    List<String> rooms() {
        return List.copyOf(logs.keySet());
    }

    synchronized MemberLog log(String room) {
        return logs.get(room);
    }

    synchronized void connect() {
        if (stopped) {
            return;
        }
        Connection c = new Connection();
        c.id = ++generation;
        current = c;
        shared.connects.increment();
        shared.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(uri(), c)
                .whenComplete((ws, e) -> {
                    if (e != null) {
                        lost(c);
                    }
                });
    }

    private URI uri() {
        String q = "ws://127.0.0.1:" + shared.port + "/ws/chat?user=" + user;
        return URI.create(token == null ? q : q + "&resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    /** The current socket closed or failed: reconnect after a short, random back-off, as the UI does. */
    private void lost(Connection c) {
        synchronized (this) {
            if (c != current) {
                return;
            }
            current = null;
            logs.values().forEach(l -> l.note("lost#" + c.id));
            shared.unacked.add(pending.size());
            pending.clear();
            if (stopped) {
                return;
            }
            shared.reconnects.increment();
        }
        shared.timers.schedule(this::connect, ThreadLocalRandom.current().nextInt(5, 120), TimeUnit.MILLISECONDS);
    }

    private synchronized void handle(Connection c, JsonNode frame) {
        if (c != current) {
            return;
        }
        String type = frame.path("type").asString();
        String room = frame.path("room").asString(null);
        switch (type) {
            case "welcome" -> {
                token = frame.get("session").asString();
                c.welcomed = true;
                for (MemberLog log : logs.values()) {
                    String since = log.everJoined() ? ",\"since\":" + log.last() : "";
                    log.note("join#" + c.id + (since.isEmpty() ? "" : "(since " + log.last() + ")"));
                    c.sendText("{\"type\":\"join\",\"room\":\"" + log.room + "\"" + since + "}");
                }
            }
            case "joined" -> {
                MemberLog log = logs.get(room);
                log.joined();
                log.note("joined#" + c.id + "(" + frame.get("history").size() + (frame.path("more").asBoolean(false) ? ",more" : "") + ")");
                for (JsonNode h : frame.get("history")) {
                    deliver(log, h, MemberLog.Source.HISTORY);
                }
                if (frame.path("truncated").asBoolean(false)) {
                    shared.checker.problem("%s: joined %s truncated", user, room);
                }
                c.live.add(room);
                if (frame.path("more").asBoolean(false)) {
                    shared.pagings.increment();
                    c.paging.put(room, new ArrayList<>());
                    long since = log.last();
                    shared.rest.execute(() -> page(c, log, since));
                }
            }
            case "message", "ack" -> {
                List<JsonNode> buffer = c.paging.get(room);
                if (buffer != null) {
                    buffer.add(frame);
                } else {
                    take(frame);
                }
            }
            case "error" -> {
                shared.error(frame.path("code").asString());
                String ref = frame.path("ref").asString(null);
                if (ref != null) {
                    pending.remove(ref); // refused: not stored, never acknowledged
                }
            }
            default -> { } // presence, left
        }
    }

    private void take(JsonNode frame) {
        MemberLog log = logs.get(frame.get("room").asString());
        if (frame.get("type").asString().equals("ack")) {
            acknowledged(log, frame);
        } else {
            deliver(log, frame, MemberLog.Source.LIVE);
        }
    }

    private void deliver(MemberLog log, JsonNode message, MemberLog.Source source) {
        String text = message.get("text").asString();
        shared.checker.received(log, message.get("seq").asLong(), message.get("from").asString(), text, source);
        if (source == MemberLog.Source.LIVE) {
            shared.deliveryLatency.recordNanos(System.nanoTime() - sentAt(text));
        }
    }

    private void acknowledged(MemberLog log, JsonNode ack) {
        String ref = ack.path("ref").asString(null);
        Sent sent = ref == null ? null : pending.remove(ref);
        if (sent == null) {
            shared.checker.problem("%s: ack %s for no pending send", user, ack);
            return;
        }
        long seq = ack.get("seq").asLong();
        shared.checker.acknowledged(log.room, seq, user, sent.text());
        shared.checker.received(log, seq, user, sent.text(), MemberLog.Source.ACK);
        shared.ackLatency.recordNanos(System.nanoTime() - sent.at());
    }

    /** The send time that {@link #send} put in the text. */
    private static long sentAt(String text) {
        return Long.parseLong(text.substring(text.lastIndexOf(' ') + 1));
    }

    /**
     * After {@code "more":true}: pages through {@code GET /api/rooms/{room}/messages} from
     * {@code since} until a short page, or until the first seq that came live meanwhile, then
     * takes the live frames. Runs on the REST executor; a socket lost meanwhile ends it.
     */
    private void page(Connection c, MemberLog log, long since) {
        long after = since;
        while (true) {
            JsonNode page;
            try {
                HttpResponse<String> r = shared.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + shared.port
                                + "/api/rooms/" + log.room + "/messages?since=" + after + "&limit=" + PAGE))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                }
                page = ChaosDriver.JSON.readTree(r.body());
            } catch (Exception e) {
                shared.checker.problem("%s: paging %s failed: %s", user, log.room, e);
                synchronized (this) {
                    if (c == current) {
                        c.ws.abort(); // start over with a fresh join, as the UI would on reload
                    }
                }
                lost(c);
                return;
            }
            synchronized (this) {
                if (c != current) {
                    return;
                }
                List<JsonNode> buffer = c.paging.get(log.room);
                long firstLive = buffer.stream().mapToLong(f -> f.get("seq").asLong()).min().orElse(Long.MAX_VALUE);
                boolean done = page.size() < PAGE;
                for (JsonNode m : page) {
                    long seq = m.get("seq").asLong();
                    if (seq >= firstLive) {
                        done = true;
                        break;
                    }
                    deliver(log, m, MemberLog.Source.REST);
                    after = seq;
                }
                if (done) {
                    log.note("paged#" + c.id + "(to " + log.last() + ", " + buffer.size() + " buffered)");
                    c.paging.remove(log.room);
                    buffer.forEach(this::take);
                    return;
                }
            }
        }
    }

    /** Sends one message to {@code room} if this client is connected and in it now; false if not. */
    synchronized boolean send(String room) {
        Connection c = current;
        if (c == null || !c.welcomed || !c.live.contains(room) || c.ws == null) {
            return false;
        }
        String ref = user + "." + (++refs);
        long now = System.nanoTime();
        String text = "m " + ref + " " + now;
        pending.put(ref, new Sent(room, text, now));
        c.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + text + "\",\"ref\":\"" + ref + "\"}");
        return true;
    }

    /** The chaos driver's socket kill: drop the TCP connection with no close frame. */
    void abortSocket() {
        Connection c;
        synchronized (this) {
            c = current;
        }
        if (c != null && c.ws != null) {
            c.ws.abort();
            lost(c);
        }
    }

    /** Connected, welcomed, in every room, nothing paging and nothing waiting for an ack. */
    synchronized boolean settled() {
        Connection c = current;
        return c != null && c.welcomed && c.live.size() == logs.size() && c.paging.isEmpty() && pending.isEmpty();
    }

    /** Ends the client: a normal close, and no reconnect. */
    void close() {
        Connection c;
        synchronized (this) {
            stopped = true;
            c = current;
            current = null;
        }
        if (c != null && c.ws != null) {
            WebSocket ws = c.ws;
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS)
                    .whenComplete((x, e) -> { if (e != null) ws.abort(); });
        }
    }
}
