package io.mailroom.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Chaos with a cluster (protocol.md §5): two nodes (two Spring contexts in this JVM) on one real
 * redis-server, members on both nodes sending in shared rooms while Redis is stopped and started
 * again, several times. Redis stops with {@code SHUTDOWN SAVE} and comes back with its data, as a
 * restarted Redis with persistence does: a message it stored before it went must still be there.
 *
 * <p>The ground truth is Redis's own stream of each room, read after the run. Checked:
 * <ol>
 *   <li>every send got exactly one answer: an {@code ack} or the error {@code unavailable};
 *   <li>the stream holds seqs 1..last, each once, and each send's text at most once;
 *   <li>an acked send is stored under the ack's seq, with its sender and text;
 *   <li>a send answered {@code unavailable} is not stored ("nothing was stored or delivered");
 *   <li>a send made while the redis-server process was down got {@code unavailable};
 *   <li>every member (all stay connected) received every stored message of its rooms, as
 *       {@code message} or its own {@code ack}, in seq order, with no gap and no duplicate, and
 *       each with the stored text;
 *   <li>both nodes' history of each room ({@code GET /api/rooms/{room}/messages}) is the stream.
 * </ol>
 * Sizes through {@code cluster-chaos.*} system properties ({@code bench/chaos.sh cluster …}).
 */
class ClusterChaosTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /**
     * The run's size; the defaults are CI's (about 30 s of chaos). {@code up} and {@code down} are
     * measured in sends: each phase lasts until as many sends are acked (up) or refused (down) as
     * {@code sendRate} makes in that time.
     */
    record Settings(int clients, int rooms, int sendRate, int outages, Duration up, Duration down, long seed) {
        static Settings fromSystemProperties() {
            return new Settings(
                    Integer.getInteger("cluster-chaos.clients", 8),
                    Integer.getInteger("cluster-chaos.rooms", 3),
                    Integer.getInteger("cluster-chaos.send-rate", 100),
                    Integer.getInteger("cluster-chaos.outages", 4),
                    Duration.ofMillis(Long.getLong("cluster-chaos.up-millis", 3000)),
                    Duration.ofMillis(Long.getLong("cluster-chaos.down-millis", 1500)),
                    Long.getLong("cluster-chaos.seed", 13));
        }
    }

    /** One send: who, where, what, and when (nanoTime, before the frame went). */
    record Sent(Member from, String room, String ref, String text, long at) {}

    /**
     * When the redis-server process was not running (nanoTime): after it exited, before it started
     * again. A send made in it must be refused; one made near its end is not judged, since its room
     * may take it only once Redis is back, and then an ack is right.
     */
    record Outage(long from, long until) {
        static final long MARGIN = Duration.ofMillis(500).toNanos();

        boolean covers(long t) {
            return t > from && t < until - MARGIN;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the long runs of bench/chaos.sh cluster too
    void acknowledgedMeansStoredOnceAndEveryMemberGetsEveryStoredMessageInOrderWhileRedisGoesAndComes()
            throws Exception {
        Settings settings = Settings.fromSystemProperties();
        Random random = new Random(settings.seed());
        List<Sent> sends = new ArrayList<>();
        List<Outage> outages = new ArrayList<>();
        List<Member> members = new ArrayList<>();
        Map<Member, List<String>> roomsOf = new LinkedHashMap<>();
        long startedAt = System.nanoTime();
        try (RedisServer redis = RedisServer.startNew();
             ConfigurableApplicationContext one = node(redis);
             ConfigurableApplicationContext two = node(redis)) {
            int[] ports = {port(one), port(two)};
            List<String> rooms = new ArrayList<>();
            for (int r = 0; r < settings.rooms(); r++) {
                rooms.add("chaos-" + r);
            }
            // every room has members on both nodes: client i is on node i % 2, in rooms i and i + 1
            Map<String, String> epochs = new HashMap<>();
            for (int i = 0; i < settings.clients(); i++) {
                Member m = Member.connect(ports[i % 2], "U" + i);
                members.add(m);
                List<String> mine = List.of(rooms.get(i % rooms.size()), rooms.get((i + 1) % rooms.size()));
                roomsOf.put(m, mine);
                for (String room : mine) {
                    JsonNode joined = m.request("{\"type\":\"join\",\"room\":\"" + room + "\"}", "joined");
                    String before = epochs.putIfAbsent(room, joined.get("epoch").asString());
                    assertThat(joined.get("epoch").asString()).as("one epoch per room on both nodes")
                            .isEqualTo(before == null ? joined.get("epoch").asString() : before);
                }
            }

            // the senders: a fixed rate over all members, a random member and one of its rooms each time
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
            AtomicLong counter = new AtomicLong();
            sender.scheduleAtFixedRate(() -> {
                Member m = members.get(random.nextInt(members.size()));
                List<String> mine = roomsOf.get(m);
                String room = mine.get(random.nextInt(mine.size()));
                long n = counter.incrementAndGet();
                String ref = m.user + "-" + n;
                Sent s = new Sent(m, room, ref, "t" + n, System.nanoTime());
                synchronized (sends) {
                    sends.add(s);
                }
                m.send("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + s.text() + "\",\"ref\":\"" + ref + "\"}");
            }, 0, 1_000_000L / settings.sendRate(), TimeUnit.MICROSECONDS);

            // the chaos: Redis up until as many sends are acked as the rate makes in `up`, then
            // stopped (its data saved) until as many are refused as it makes in `down`, and started
            // again: phases by what the clients saw, so a slow machine still gets its outages' worth
            long upAnswers = settings.sendRate() * settings.up().toMillis() / 1000;
            long downAnswers = settings.sendRate() * settings.down().toMillis() / 1000;
            for (int k = 0; k < settings.outages(); k++) {
                awaitMore(members, "ack", upAnswers, "acks with Redis up");
                redis.stopSaving();
                long from = System.nanoTime();
                awaitMore(members, "error", downAnswers, "sends refused with Redis down");
                long until = System.nanoTime();
                outages.add(new Outage(from, until));
                redis.start();
            }
            awaitMore(members, "ack", upAnswers, "acks after the last outage");
            sender.shutdown();
            assertThat(sender.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

            // every send answered (an unavailable comes at once, an ack once the room has caught up)
            settle("every send answered", () -> members.stream().mapToInt(Member::answers).sum() == sends.size());

            // every member catches up on every stored message of its rooms
            settle("every member has every stored message", () -> {
                for (Member m : members) {
                    for (String room : roomsOf.get(m)) {
                        if (m.seqs(room).size() < (Long) redis.call("XLEN", streamKey(room))) {
                            return false;
                        }
                    }
                }
                return true;
            });
            // the ground truth: each room's stream in Redis
            Map<String, List<JsonNode>> stored = new LinkedHashMap<>();
            for (String room : rooms) {
                stored.put(room, stream(redis, room));
            }
            String report = check(settings, sends, outages, members, roomsOf, stored, epochs, ports, startedAt);
            for (String room : rooms) {
                // nothing stored after its send was answered (a command a client retried on its own would be)
                assertThat(stream(redis, room)).as("%s's stream after the checks", room).isEqualTo(stored.get(room));
            }
            System.out.println(report);
            Path out = Path.of(System.getProperty("cluster-chaos.report", "target/chaos/cluster-report.txt"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
        } finally {
            members.forEach(Member::close);
        }
    }

    /** Waits for the run to settle; if it never does, the check that follows says precisely what is missing. */
    /** Waits until the members, together, have {@code more} frames of {@code type} than now. */
    private static void awaitMore(List<Member> members, String type, long more, String what) {
        long before = members.stream().mapToLong(m -> m.count(type)).sum();
        Waits.eventually().alias(what).until(() -> members.stream().mapToLong(m -> m.count(type)).sum() >= before + more);
    }

    private static void settle(String what, java.util.concurrent.Callable<Boolean> done) {
        try {
            Waits.eventually().alias(what).until(done);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.out.println("not settled: " + what);
        }
    }

    /** Checks every rule of the class comment; returns the run's figures. */
    private static String check(Settings settings, List<Sent> sends, List<Outage> outages, List<Member> members,
                                Map<Member, List<String>> roomsOf, Map<String, List<JsonNode>> stored,
                                Map<String, String> epochs, int[] ports, long startedAt) {
        // the store: seqs 1..last, once each; each text at most once
        Map<String, JsonNode> byText = new HashMap<>();
        for (Map.Entry<String, List<JsonNode>> e : stored.entrySet()) {
            List<JsonNode> frames = e.getValue();
            for (int i = 0; i < frames.size(); i++) {
                JsonNode f = frames.get(i);
                assertThat(f.get("seq").asLong()).as("seq %d of %s's stream", i + 1, e.getKey()).isEqualTo(i + 1);
                JsonNode twice = byText.put(f.get("text").asString(), f);
                assertThat(twice).as("a send stored twice: %s and %s", twice, f).isNull();
            }
        }
        long acked = 0;
        long unavailable = 0;
        long unavailableInOutage = 0;
        long sentInOutage = 0;
        for (Sent s : sends) {
            List<JsonNode> answers = s.from().answersTo(s.ref());
            assertThat(answers).as("the answers to %s", s).hasSize(1);
            JsonNode answer = answers.get(0);
            JsonNode storedFrame = byText.get(s.text());
            boolean inOutage = outages.stream().anyMatch(o -> o.covers(s.at()));
            if (inOutage) {
                sentInOutage++;
            }
            if (answer.get("type").asString().equals("ack")) {
                acked++;
                assertThat(inOutage).as("%s acked %s while redis-server was down", s, answer).isFalse();
                assertThat(storedFrame).as("%s acked %s but not stored", s, answer).isNotNull();
                assertThat(storedFrame.get("seq").asLong()).as("the seq of %s", s).isEqualTo(answer.get("seq").asLong());
                assertThat(storedFrame.get("room").asString()).isEqualTo(s.room());
                assertThat(storedFrame.get("from").asString()).isEqualTo(s.from().user);
            } else {
                assertThat(answer.get("code").asString()).as("the error for %s", s).isEqualTo("unavailable");
                unavailable++;
                if (inOutage) {
                    unavailableInOutage++;
                }
                assertThat(storedFrame).as("%s answered %s, yet stored", s, answer).isNull();
            }
        }
        assertThat(sentInOutage).as("sends while redis-server was down: the test must make some").isPositive();
        assertThat(unavailableInOutage).isEqualTo(sentInOutage);
        assertThat(acked).as("acked sends").isPositive();

        // every member: every stored message of its rooms once, in seq order, with the stored text
        long deliveries = 0;
        for (Member m : members) {
            assertThat(m.closed).as("%s's socket", m.user).isNotDone();
            assertThat(m.unexpected()).as("%s's frames other than joined, message, ack, presence, unavailable", m.user).isEmpty();
            for (String room : roomsOf.get(m)) {
                List<JsonNode> got = m.seqs(room);
                List<JsonNode> all = stored.get(room);
                assertThat(got).as("%s's frames of %s", m.user, room).hasSize(all.size());
                for (int i = 0; i < got.size(); i++) {
                    JsonNode f = got.get(i);
                    assertThat(f.get("seq").asLong()).as("%s's %d-th frame of %s: %s", m.user, i + 1, room, f).isEqualTo(i + 1);
                    if (f.get("type").asString().equals("message")) {
                        assertThat(f.get("text").asString()).as("seq %d of %s", i + 1, room)
                                .isEqualTo(all.get(i).get("text").asString());
                    }
                }
                deliveries += got.size();
            }
        }

        // both nodes' history is the stream, under the epoch the members joined
        for (int port : ports) {
            for (Map.Entry<String, List<JsonNode>> e : stored.entrySet()) {
                List<JsonNode> history = history(port, e.getKey(), epochs.get(e.getKey()));
                assertThat(history).as("node :%d's history of %s", port, e.getKey()).isEqualTo(e.getValue());
            }
        }

        long storedCount = stored.values().stream().mapToLong(List::size).sum();
        return String.format("cluster chaos: %d clients, %d rooms, %d msg/s, %d outages of %d ms every %d ms, seed %d%n"
                        + "sends %d: acked %d, unavailable %d (%d of them sent while redis-server was down, all %d such sends)%n"
                        + "stored %d (by room %s), deliveries %d, lost 0, duplicates 0, out of order 0; took %.1f s%n",
                settings.clients(), settings.rooms(), settings.sendRate(), settings.outages(), settings.down().toMillis(),
                settings.up().toMillis(), settings.seed(), sends.size(), acked, unavailable, unavailableInOutage,
                sentInOutage, storedCount, stored.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(),
                deliveries, (System.nanoTime() - startedAt) / 1e9);
    }

    // ---------------------------------------------------------------- the cluster

    static ConfigurableApplicationContext node(RedisServer redis) {
        return TestCluster.node(redis.url(), "mailroom.chat.history-size=100000", "logging.level.io.mailroom=WARN",
                "logging.level.io.lettuce=WARN");
    }

    static int port(ConfigurableApplicationContext context) {
        return TestCluster.port(context);
    }

    static String streamKey(String room) {
        return "mailroom:{room:" + room + "}:log"; // RedisRoomOrder's key of the room's stream
    }

    /** A room's messages as Redis stores them: the frames of its stream, oldest first. */
    @SuppressWarnings("unchecked")
    static List<JsonNode> stream(RedisServer redis, String room) {
        List<Object> entries = (List<Object>) redis.call("XRANGE", streamKey(room), "-", "+");
        List<JsonNode> frames = new ArrayList<>();
        for (Object entry : entries) {
            List<Object> fields = (List<Object>) ((List<Object>) entry).get(1);
            frames.add(ChaosDriver.JSON.readTree((String) fields.get(1)));
        }
        return frames;
    }

    /** A node's whole history of a room through REST, paging on; its epoch must be {@code epoch}. */
    static List<JsonNode> history(int port, String room, String epoch) {
        List<JsonNode> frames = new ArrayList<>();
        long since = 0;
        while (true) {
            try {
                var response = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/rooms/" + room + "/messages?since=" + since + "&limit=1000")).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("history of %s: %s", room, response.body()).isEqualTo(200);
                assertThat(response.headers().firstValue("Mailroom-Epoch")).as("epoch of %s", room).contains(epoch);
                JsonNode page = ChaosDriver.JSON.readTree(response.body());
                page.forEach(frames::add);
                if (page.isEmpty()) {
                    return frames;
                }
                since = page.get(page.size() - 1).get("seq").asLong();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    // ---------------------------------------------------------------- a member

    /** One chat user on one node that never reconnects: every frame it receives, in arrival order. */
    static final class Member implements WebSocket.Listener, AutoCloseable {
        final String user;
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final List<JsonNode> frames = new ArrayList<>(); // guarded by this
        private final StringBuilder partial = new StringBuilder();
        /** Sends in order: the JDK's WebSocket allows one outstanding send at a time. */
        private CompletableFuture<?> sending = CompletableFuture.completedFuture(null); // guarded by this
        private volatile WebSocket ws;

        private Member(String user) {
            this.user = user;
        }

        static Member connect(int port, String user) {
            Member m = new Member(user);
            HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/chat?user=" + user), m).join();
            Waits.eventually().alias(user + " welcomed").until(() -> m.count("welcome") == 1);
            return m;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonNode f = ChaosDriver.JSON.readTree(partial.toString());
                partial.setLength(0);
                synchronized (this) {
                    frames.add(f);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(1006);
        }

        synchronized void send(String text) {
            sending = sending.thenCompose(x -> ws.sendText(text, true));
        }

        /** Sends a request and waits for the answer of {@code type}. */
        JsonNode request(String text, String type) {
            int before = count(type);
            send(text);
            Waits.eventually().alias(user + ": " + type).until(() -> count(type) > before);
            synchronized (this) {
                return frames.stream().filter(f -> f.get("type").asString().equals(type)).skip(before).findFirst().orElseThrow();
            }
        }

        synchronized int count(String type) {
            return (int) frames.stream().filter(f -> f.get("type").asString().equals(type)).count();
        }

        /** Answers to sends: acks and errors with a ref. */
        synchronized int answers() {
            return (int) frames.stream().filter(f -> f.has("ref")).count();
        }

        synchronized List<JsonNode> answersTo(String ref) {
            return frames.stream().filter(f -> f.has("ref") && f.get("ref").asString().equals(ref)).toList();
        }

        /** The room's {@code message} and {@code ack} frames, in arrival order. */
        synchronized List<JsonNode> seqs(String room) {
            return frames.stream().filter(f -> f.has("seq") && f.get("room").asString().equals(room)).toList();
        }

        synchronized List<JsonNode> unexpected() {
            return frames.stream().filter(f -> switch (f.get("type").asString()) {
                case "welcome", "joined", "message", "ack", "presence" -> false;
                case "error" -> !f.get("code").asString().equals("unavailable");
                default -> true;
            }).toList();
        }

        @Override
        public void close() {
            WebSocket w = ws;
            if (w != null && !w.isOutputClosed()) {
                w.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
    }
}
