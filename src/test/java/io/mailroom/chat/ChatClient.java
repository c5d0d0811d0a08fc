package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.Waits;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.core.ConditionFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * A WebSocket client for tests (the JDK's {@link WebSocket}): collects every frame it receives,
 * with its arrival time, and lets a test read them in order, waiting with Awaitility.
 */
final class ChatClient implements WebSocket.Listener, AutoCloseable {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    static final Duration WAIT = Waits.WAIT;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The chat tests' wait: {@link Waits#eventually()} (it used to set Awaitility's global defaults here). */
    static ConditionFactory await() {
        return Waits.eventually();
    }

    /** {@link #await()} with a name for its failure message. */
    static ConditionFactory await(String alias) {
        return Waits.eventually().alias(alias);
    }

    /** One received frame and when it arrived ({@link System#nanoTime()}). */
    record Received(JsonNode json, String text, long at) {}

    private final List<Received> frames = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private volatile boolean paused;
    private volatile WebSocket socket;
    private int cursor;

    static URI uri(int port, String user) {
        return uri(port, user, null);
    }

    static URI uri(int port, String user, String resume) {
        StringBuilder q = new StringBuilder("ws://localhost:" + port + "/ws/chat");
        String sep = "?";
        if (user != null) {
            q.append(sep).append("user=").append(URLEncoder.encode(user, StandardCharsets.UTF_8));
            sep = "&";
        }
        if (resume != null) {
            q.append(sep).append("resume=").append(URLEncoder.encode(resume, StandardCharsets.UTF_8));
        }
        return URI.create(q.toString());
    }

    static ChatClient connect(int port, String user) {
        return connect(uri(port, user));
    }

    static ChatClient connect(URI uri) {
        return connectAsync(uri).join();
    }

    static CompletableFuture<ChatClient> connectAsync(URI uri) {
        ChatClient client = new ChatClient();
        return HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri, client)
                .thenApply(ws -> client);
    }

    /** Connects and reads the welcome. */
    static ChatClient welcomed(int port, String user) {
        ChatClient c = connect(port, user);
        c.expect("welcome");
        return c;
    }

    /**
     * Connects as {@code user}: the client if welcomed, or null (closed) if refused with
     * {@code name_taken}; any other first frame fails. For waiting until a name comes free.
     */
    static ChatClient welcomedOrNullIfTaken(int port, String user) {
        ChatClient c = connect(port, user);
        JsonNode first = c.next();
        if (first.get("type").asString().equals("welcome")) {
            return c;
        }
        assertThat(first.get("code").asString()).as("refusal %s", first).isEqualTo("name_taken");
        c.close();
        return null;
    }

    // ---------------------------------------------------------------- listener

    @Override
    public void onOpen(WebSocket webSocket) {
        this.socket = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            JsonNode json = JSON.readTree(text);
            synchronized (this) {
                frames.add(new Received(json, text, System.nanoTime()));
            }
        }
        if (!paused) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(1006);
    }

    // ---------------------------------------------------------------- sending

    synchronized ChatClient send(String text) {
        socket.sendText(text, true).orTimeout(30, TimeUnit.SECONDS).join();
        return this;
    }

    ChatClient send(Map<String, ?> frame) {
        return send(JSON.writeValueAsString(frame));
    }

    synchronized ChatClient sendBinary(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(30, TimeUnit.SECONDS).join();
        return this;
    }

    ChatClient join(String room) {
        return send(Map.of("type", "join", "room", room));
    }

    ChatClient leave(String room) {
        return send(Map.of("type", "leave", "room", room));
    }

    ChatClient say(String room, String text, String ref) {
        return send(ref == null ? Map.of("type", "send", "room", room, "text", text)
                : Map.of("type", "send", "room", room, "text", text, "ref", ref));
    }

    /**
     * Sends {@code text} until it is acked and returns its seq: a node back from a Redis outage
     * refuses with {@code unavailable} until its room has caught up (protocol.md §5); any other
     * answer, or no ack within {@link #WAIT}, fails.
     */
    long sayUntilAcked(String room, String text, String ref) {
        return untilTaken("an ack for " + ref, () -> say(room, text, ref), "ack").get("seq").asLong();
    }

    /** Joins until the join is taken, as {@link #sayUntilAcked}, and returns the {@code joined}. */
    JsonNode joinedUntilTaken(String room) {
        return untilTaken("joined " + room, () -> join(room), "joined");
    }

    /** Makes the request until its answer is of {@code type}; every other answer must be {@code unavailable}. */
    private JsonNode untilTaken(String what, Supplier<ChatClient> request, String type) {
        AtomicReference<JsonNode> taken = new AtomicReference<>();
        await(what).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonNode answer = request.get().next();
            if (answer.get("type").asString().equals(type)) {
                taken.set(answer);
                return true;
            }
            assertThat(answer.get("code").asString()).as("answer %s", answer).isEqualTo("unavailable");
            return false;
        });
        return taken.get();
    }

    /** Joins and reads the {@code joined}. */
    JsonNode joined(String room) {
        join(room);
        return expect("joined");
    }

    // ---------------------------------------------------------------- reading

    /** The next frame, which must be of {@code type}. */
    JsonNode expect(String type) {
        JsonNode next = next();
        assertThat(next.get("type").asString()).as("frame %s", next).isEqualTo(type);
        return next;
    }

    /** The next error frame, which must have {@code code}. */
    JsonNode expectError(String code) {
        JsonNode error = expect("error");
        assertThat(error.get("code").asString()).as("error %s", error).isEqualTo(code);
        assertThat(error.get("message").isString()).isTrue();
        return error;
    }

    JsonNode next() {
        return nextReceived().json();
    }

    Received nextReceived() {
        if (available() == 0) {
            await().atMost(WAIT).until(() -> available() > 0);
        }
        synchronized (this) {
            return frames.get(cursor++);
        }
    }

    /** Skips frames up to and including the first that matches. */
    JsonNode skipTo(Predicate<JsonNode> match) {
        while (true) {
            JsonNode n = next();
            if (match.test(n)) {
                return n;
            }
        }
    }

    synchronized int available() {
        return frames.size() - cursor;
    }

    synchronized List<Received> all() {
        return List.copyOf(frames);
    }

    /** Frames received and not read yet, without reading them. */
    synchronized List<JsonNode> pending() {
        return frames.subList(cursor, frames.size()).stream().map(Received::json).toList();
    }

    /** Waits until the server closed the socket; its close code. */
    int awaitClose() {
        return closed.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    String closeReason() {
        return closeReason;
    }

    boolean isClosed() {
        return closed.isDone();
    }

    /** Stops reading: the socket's buffers fill up and the server's writes stall. */
    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
        socket.request(Long.MAX_VALUE / 2);
    }

    @Override
    public void close() {
        WebSocket ws = socket;
        if (ws != null && !ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        if (ws != null) {
            ws.abort();
        }
    }

    /** The UTF-8 bytes of the history frames in a {@code joined} frame, as the server counts them. */
    static long historyBytes(JsonNode joined) {
        long bytes = 0;
        for (JsonNode h : joined.get("history")) {
            bytes += h.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    static String text(JsonNode node, String field) {
        JsonNode f = node.get(field);
        return f == null ? null : f.asString();
    }
}
