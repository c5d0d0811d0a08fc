package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code mailroom_cluster_*} meters (protocol.md §4, v1.1 additions) of two nodes on one real
 * redis-server, scraped from {@code /actuator/prometheus}: their names, types and tags; publishes
 * and publications counted exactly once under concurrent senders on both nodes; a publication that
 * never came filled from the stream and counted; Redis stopped and back in {@code redis_up}; and
 * the Grafana dashboard's cluster panels asking only for what a cluster node exports.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterMetricsTest {
    static final Duration WAIT = Waits.WAIT;
    static final ObjectMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger IDS = new AtomicInteger();

    /** The cluster meters and their {@code # TYPE}. */
    static final Map<String, String> CLUSTER = Map.of(
            "mailroom_cluster_redis_seconds", "histogram",
            "mailroom_cluster_redis_failures_total", "counter",
            "mailroom_cluster_publishes_total", "counter",
            "mailroom_cluster_publications_received_total", "counter",
            "mailroom_cluster_gap_fills_total", "counter",
            "mailroom_cluster_redis_up", "gauge",
            "mailroom_cluster_subscribed_rooms", "gauge",
            "mailroom_cluster_nodes", "gauge");
    static final List<String> OPS = List.of("append", "read", "fill", "subscribe", "ping", "name");

    static TestCluster cluster;
    static RedisServer redis;
    static ConfigurableApplicationContext one;
    static ConfigurableApplicationContext two;
    static int portOne;
    static int portTwo;

    @BeforeAll
    static void startRedisAndTwoNodes() {
        // rooms live for the whole class (no idle stop), so the subscribed-rooms gauge only moves when a test makes it
        cluster = TestCluster.startTwo("mailroom.chat.room-idle-timeout=10m");
        redis = cluster.redis;
        one = cluster.one;
        two = cluster.two;
        portOne = cluster.portOne;
        portTwo = cluster.portTwo;
    }

    @AfterAll
    static void stopAll() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static String id(String base) {
        return base + IDS.incrementAndGet();
    }

    static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            throw new AssertionError("GET " + path, e);
        }
    }

    static PrometheusText scrape(int port) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return PrometheusText.parse(r.body());
        } catch (Exception e) {
            throw new AssertionError("scrape", e);
        }
    }

    @Test
    void everyClusterMeterIsExportedWithItsTypeEveryOpAndNoOtherTag() {
        for (int port : new int[] {portOne, portTwo}) {
            PrometheusText scraped = scrape(port);
            CLUSTER.forEach((name, type) -> assertThat(scraped.types()).as("# TYPE %s", name).containsEntry(name, type));
            for (String series : List.of("mailroom_cluster_redis_seconds_count", "mailroom_cluster_redis_failures_total")) {
                assertThat(scraped.samples(series)).extracting(s -> s.labels().get("op"))
                        .as(series).containsExactlyInAnyOrderElementsOf(OPS);
            }
            assertThat(scraped.value("mailroom_cluster_redis_up")).isEqualTo(1);
            // presence's heartbeats count the nodes: both of them, seen from either
            Waits.eventually().pollInterval(Duration.ofMillis(20)).until(() -> scrape(port).value("mailroom_cluster_nodes") == 2);
            for (PrometheusText.Sample s : scraped.samples()) {
                if (s.name().startsWith("mailroom_cluster_")) {
                    assertThat(Set.of("op", "le")).as("tags of %s", s).containsAll(s.labels().keySet());
                }
            }
        }
    }

    @Test
    void publishesAndPublicationsCountEveryMessageOnceUnderConcurrentSendersOnBothNodes() throws Exception {
        String room = id("count-");
        PrometheusText oneBefore = scrape(portOne);
        PrometheusText twoBefore = scrape(portTwo);
        List<Member> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                members.add(Member.joined(i % 2 == 0 ? portOne : portTwo, id("Cnt"), room));
            }
            // the one new room, subscribed on each node once however many members it has there
            assertThat(scrape(portOne).value("mailroom_cluster_subscribed_rooms"))
                    .isEqualTo(oneBefore.value("mailroom_cluster_subscribed_rooms") + 1);
            assertThat(scrape(portTwo).value("mailroom_cluster_subscribed_rooms"))
                    .isEqualTo(twoBefore.value("mailroom_cluster_subscribed_rooms") + 1);

            int each = 50;
            List<CompletableFuture<Void>> senders = new ArrayList<>();
            for (Member m : members) {
                senders.add(CompletableFuture.runAsync(() -> {
                    for (int n = 0; n < each; n++) {
                        m.say(room, "m" + n);
                    }
                }));
            }
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            int total = each * members.size();
            for (Member m : members) {
                int acks = 0;
                int messages = 0;
                while (acks + messages < total) {
                    String type = m.next().get("type").asString();
                    if (type.equals("ack")) {
                        acks++;
                    } else if (type.equals("message")) {
                        messages++;
                    } else {
                        assertThat(type).as("a frame of the room").isEqualTo("presence");
                    }
                }
                assertThat(acks).isEqualTo(each);
            }

            // publishes are counted before the ack, so every ack seen means counted
            for (var node : List.of(Map.entry(portOne, oneBefore), Map.entry(portTwo, twoBefore))) {
                PrometheusText after = scrape(node.getKey());
                PrometheusText before = node.getValue();
                assertThat(after.value("mailroom_cluster_publishes_total") - before.value("mailroom_cluster_publishes_total"))
                        .as("messages this node's members sent").isEqualTo(2 * each);
                assertThat(after.value("mailroom_cluster_redis_seconds_count", "op", "append")
                        - before.value("mailroom_cluster_redis_seconds_count", "op", "append")).isEqualTo(2 * each);
                assertThat(after.value("mailroom_cluster_redis_seconds_sum", "op", "append"))
                        .isGreaterThan(before.value("mailroom_cluster_redis_seconds_sum", "op", "append"));
                assertThat(after.value("mailroom_cluster_redis_failures_total", "op", "append"))
                        .isEqualTo(before.value("mailroom_cluster_redis_failures_total", "op", "append"));
            }
            // every node receives every message of a room it is subscribed to (its own too), once:
            // Redis delivers one subscription's publications in order, so once all are in none can follow
            for (var node : List.of(Map.entry(portOne, oneBefore), Map.entry(portTwo, twoBefore))) {
                double before = node.getValue().value("mailroom_cluster_publications_received_total");
                Waits.eventually().pollInterval(Duration.ofMillis(20)).until(() ->
                        scrape(node.getKey()).value("mailroom_cluster_publications_received_total") >= before + total);
                assertThat(scrape(node.getKey()).value("mailroom_cluster_publications_received_total"))
                        .isEqualTo(before + total);
            }
        } finally {
            members.forEach(Member::close);
        }
    }

    @Test
    void aPublicationThatNeverCameIsFilledFromTheStreamAndCountedOnEachNode() throws Exception {
        String room = id("gap-");
        try (Member a = Member.joined(portOne, id("Gap"), room);
             Member b = Member.joined(portTwo, id("Pag"), room)) {
            a.say(room, "one");
            assertThat(a.next("ack").get("seq").asLong()).isEqualTo(1);
            String first = b.nextRaw("message");
            assertThat(first).contains("\"seq\":1,");

            // seq 2 stored as the script would, but never published: no node hears of it
            String meta = "mailroom:{room:" + room + "}:meta";
            String log = "mailroom:{room:" + room + "}:log";
            assertThat(redis.command("HINCRBY", meta, "seq", "1")).isEqualTo(":2");
            String missed = first.replace("\"seq\":1,", "\"seq\":2,").replace("\"text\":\"one\"", "\"text\":\"two\"");
            assertThat(redis.command("XADD", log, "MAXLEN", "1000", "2-0", "f", missed)).isEqualTo("$3");
            PrometheusText oneBefore = scrape(portOne);
            PrometheusText twoBefore = scrape(portTwo);

            // seq 3 is published: both nodes see a gap and read seq 2 from the stream, in order
            a.say(room, "three");
            JsonNode filled = a.next("message");
            assertThat(filled.get("seq").asLong()).isEqualTo(2);
            assertThat(filled.get("text").asString()).isEqualTo("two");
            assertThat(a.next("ack").get("seq").asLong()).isEqualTo(3);
            assertThat(b.next("message").get("text").asString()).isEqualTo("two");
            assertThat(b.next("message").get("text").asString()).isEqualTo("three");

            for (var node : List.of(Map.entry(portOne, oneBefore), Map.entry(portTwo, twoBefore))) {
                PrometheusText after = scrape(node.getKey());
                PrometheusText before = node.getValue();
                assertThat(after.value("mailroom_cluster_gap_fills_total") - before.value("mailroom_cluster_gap_fills_total"))
                        .as("one read filled the gap").isEqualTo(1);
                assertThat(after.value("mailroom_cluster_redis_seconds_count", "op", "fill")
                        - before.value("mailroom_cluster_redis_seconds_count", "op", "fill")).isEqualTo(1);
                assertThat(after.value("mailroom_cluster_redis_failures_total", "op", "fill"))
                        .isEqualTo(before.value("mailroom_cluster_redis_failures_total", "op", "fill"));
            }
        }
    }

    @Test
    void redisStoppedTurnsRedisUpToZeroAndCountsTheFailedPingsUntilItIsBack() {
        assertThat(scrape(portOne).value("mailroom_cluster_redis_up")).isEqualTo(1);
        double pingFailures = scrape(portOne).value("mailroom_cluster_redis_failures_total", "op", "ping");
        redis.stopSaving();
        try {
            for (int port : new int[] {portOne, portTwo}) {
                Waits.eventually().pollInterval(Duration.ofMillis(20)).until(() -> scrape(port).value("mailroom_cluster_redis_up") == 0);
            }
            // readiness PINGs Redis, refused while disconnected: a failed round trip each time
            assertThat(status(portOne, "/actuator/health/readiness")).isEqualTo(503);
            assertThat(scrape(portOne).value("mailroom_cluster_redis_failures_total", "op", "ping"))
                    .isGreaterThan(pingFailures);
        } finally {
            redis.start();
        }
        for (int port : new int[] {portOne, portTwo}) {
            Waits.eventually().pollInterval(Duration.ofMillis(20)).until(() -> scrape(port).value("mailroom_cluster_redis_up") == 1);
            Waits.eventually().pollInterval(Duration.ofMillis(50)).until(() -> status(port, "/actuator/health/readiness") == 200);
        }
    }

    /** DeployConfigTest checks the rest of the dashboard on a single node, where these meters do not exist. */
    @Test
    void theDashboardsClusterPanelsNameOnlyMetricsAClusterNodeExports() throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(DeployConfigTest.DASHBOARD));
        Map<String, List<String>> clusterPanels = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.get("panels")) {
            List<String> exprs = new ArrayList<>();
            if (panel.has("targets")) {
                panel.get("targets").forEach(t -> exprs.add(t.get("expr").asString()));
            }
            if (exprs.stream().anyMatch(e -> e.contains("mailroom_cluster_"))) {
                clusterPanels.put(panel.get("title").asString(), exprs);
            }
        }
        assertThat(clusterPanels).containsKeys("Redis up", "Redis round trip p99", "Publishes/s", "Gap fills");
        assertThat(String.join("\n", clusterPanels.get("Redis round trip p99")))
                .contains("histogram_quantile(0.99,", "mailroom_cluster_redis_seconds_bucket");

        Set<String> exported = scrape(portOne).sampleNames();
        Map<String, Set<String>> missing = new HashMap<>();
        clusterPanels.values().stream().flatMap(List::stream).forEach(expr -> {
            for (String name : DeployConfigTest.metricNames(expr)) {
                if (!exported.contains(name)) {
                    missing.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(expr);
                }
            }
        });
        assertThat(missing).as("cluster panels' metrics a cluster node does not export").isEmpty();
    }

    /** One chat user over a plain WebSocket: raw text frames queued as they come. */
    static final class Member implements WebSocket.Listener, AutoCloseable {
        private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Member joined(int port, String user, String room) throws Exception {
            return joined(port, user, room, null);
        }

        /** With {@code origin} set, the handshake carries it, as a browser's does. */
        static Member joined(int port, String user, String room, String origin) throws Exception {
            Member m = new Member();
            WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30));
            if (origin != null) {
                builder.header("Origin", origin);
            }
            m.socket = builder.buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/chat?user=" + user), m)
                    .get(30, TimeUnit.SECONDS);
            m.next("welcome");
            m.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            m.next("joined");
            return m;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        /** One frame at a time: the JDK's WebSocket refuses a send while the last one is under way. */
        synchronized void send(String frame) {
            socket.sendText(frame, true).orTimeout(30, TimeUnit.SECONDS).join();
        }

        void say(String room, String text) {
            send("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + text + "\"}");
        }

        String nextRaw() {
            try {
                String text = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (text == null) {
                    throw new AssertionError("no frame within " + WAIT);
                }
                return text;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        JsonNode next() {
            return JSON.readTree(nextRaw());
        }

        /** The next frame of {@code type}, skipping presence (members come and go on both nodes); any other is a failure. */
        String nextRaw(String type) {
            while (true) {
                String text = nextRaw();
                String got = JSON.readTree(text).get("type").asString();
                if (got.equals(type)) {
                    return text;
                }
                assertThat(got).as("frame %s while waiting for %s", text, type).isEqualTo("presence");
            }
        }

        JsonNode next(String type) {
            return JSON.readTree(nextRaw(type));
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            socket.abort();
        }
    }
}
