package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisNames;
import io.mailroom.cluster.RedisRoomPresence;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.cluster.TcpProxy;
import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Presence across nodes (protocol.md §5), on one real redis-server: two nodes (two Spring contexts
 * in this JVM) agree on {@code members}, {@code presence} and {@code /api/rooms}; a node cut off
 * from Redis (through a {@link TcpProxy} that drops its connections) or killed loses its members
 * from the others' rooms within {@code presence-ttl}, with {@code presence} leave, and one that
 * comes back registers them again.
 *
 * <p>The TTL is 4 s here, not the 15 s default, to keep the test short; not shorter, since a live
 * node has half the TTL of slack for a late heartbeat, and a heavily loaded 2-core CI machine must
 * not make a live node look dead.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChatClusterPresenceTest {
    static final Duration TTL = Duration.ofSeconds(4);
    static final String TTL_SETTING = "mailroom.cluster.presence-ttl=" + TTL.toMillis() + "ms";
    /** What a loaded machine may add to the TTL between the death and the frame (handling, not detection). */
    static final Duration SLACK = Duration.ofSeconds(2);
    private static final AtomicInteger IDS = new AtomicInteger();
    static TestCluster cluster;
    static RedisServer redis;
    static ConfigurableApplicationContext one;
    static ConfigurableApplicationContext two;
    static int portOne;
    static int portTwo;

    @BeforeAll
    static void startRedisAndTwoNodes() {
        cluster = TestCluster.startTwo(TTL_SETTING);
        redis = cluster.redis;
        one = cluster.one;
        two = cluster.two;
        portOne = cluster.portOne;
        portTwo = cluster.portTwo;
    }

    static ConfigurableApplicationContext node(String redisUrl) {
        return TestCluster.node(redisUrl, TTL_SETTING);
    }

    static int port(ConfigurableApplicationContext context) {
        return TestCluster.port(context);
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

    static List<String> members(JsonNode joined) {
        List<String> out = new ArrayList<>();
        joined.get("members").forEach(m -> out.add(m.asString()));
        return out;
    }

    static void expectPresence(ChatClient c, String room, String event, String user) {
        JsonNode p = c.expect("presence");
        assertThat(p.get("room").asString()).isEqualTo(room);
        assertThat(p.get("event").asString() + " " + p.get("user").asString()).as("presence %s", p)
                .isEqualTo(event + " " + user);
    }

    /** {@code GET /api/rooms/{room}}'s members on a node, or null for 404. */
    static List<String> restMembers(int port, String room) {
        Rest.Answer a = Rest.get(port, "/api/rooms/" + room);
        if (a.status() == 404) {
            return null;
        }
        assertThat(a.status()).as("GET /api/rooms/%s: %s", room, a.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        a.body().get("members").forEach(m -> out.add(m.asString()));
        return out;
    }

    @Test
    void membersPresenceAndTheRestApiAgreeOnBothNodes() {
        String room = id("agree-");
        String ada = id("Ada");
        String bob = id("Bob");
        String carol = id("Carol");
        try (ChatClient a = ChatClient.welcomed(portOne, ada);
             ChatClient b = ChatClient.welcomed(portTwo, bob);
             ChatClient c = ChatClient.welcomed(portOne, carol)) {
            assertThat(members(a.joined(room))).containsExactly(ada);
            // a member on the other node: in its joined, in the other node's presence, before what it says
            assertThat(members(b.joined(room))).containsExactly(ada, bob);
            assertThat(b.say(room, "hello", "h").expect("ack").get("seq").asLong()).isEqualTo(1);
            expectPresence(a, room, "join", bob);
            assertThat(a.expect("message").get("from").asString()).isEqualTo(bob);

            assertThat(members(c.joined(room))).containsExactly(ada, bob, carol);
            expectPresence(a, room, "join", carol);
            expectPresence(b, room, "join", carol);

            for (int port : new int[] {portOne, portTwo}) {
                Rest.Answer detail = Rest.get(port, "/api/rooms/" + room);
                assertThat(detail.status()).isEqualTo(200);
                assertThat(detail.body().get("members").toString()).isEqualTo("[\"" + ada + "\",\"" + bob + "\",\"" + carol + "\"]");
                assertThat(detail.body().get("lastSeq").asLong()).isEqualTo(1);
            }
            ChatClient.await("/api/rooms the same on both nodes").until(() ->
                    Rest.get(portOne, "/api/rooms").body().toString().equals(Rest.get(portTwo, "/api/rooms").body().toString()));
            JsonNode listed = null;
            for (JsonNode r : Rest.get(portTwo, "/api/rooms").body()) {
                if (r.get("room").asString().equals(room)) {
                    listed = r;
                }
            }
            assertThat(listed).as("the room in /api/rooms").isNotNull();
            assertThat(listed.get("members").asInt()).isEqualTo(3);
            assertThat(listed.get("lastSeq").asLong()).isEqualTo(1);

            b.leave(room).expect("left");
            expectPresence(a, room, "leave", bob);
            expectPresence(c, room, "leave", bob);
            c.close(); // a disconnect leaves: the other node's members see it too, and it is gone from REST
            expectPresence(a, room, "leave", carol);
            for (int port : new int[] {portOne, portTwo}) {
                // its leave is written before the frame goes, but another node's read may come first
                ChatClient.await("only Ada left, on " + port).until(() -> List.of(ada).equals(restMembers(port, room)));
            }
            assertThat(b.pending()).as("a member who left hears nothing more").isEmpty();
            assertThat(a.pending()).isEmpty();
        }
    }

    @Test
    void aRoomWithoutMembersAnywhereIsGoneFromTheListButKeepsItsSeqs() {
        String room = id("empty-");
        try (ChatClient a = ChatClient.welcomed(portTwo, id("Ada"))) {
            a.joined(room);
            a.say(room, "one", null).expect("ack");
            a.leave(room).expect("left");
        }
        for (int port : new int[] {portOne, portTwo}) {
            ChatClient.await("no members, on " + port).until(() -> List.of().equals(restMembers(port, room)));
            Rest.Answer detail = Rest.get(port, "/api/rooms/" + room);
            assertThat(detail.status()).isEqualTo(200);
            assertThat(detail.body().get("lastSeq").asLong()).isEqualTo(1);
            for (JsonNode r : Rest.get(port, "/api/rooms").body()) {
                assertThat(r.get("room").asString()).isNotEqualTo(room);
            }
            assertThat(Rest.get(port, "/api/rooms/" + id("never-")).status()).isEqualTo(404);
        }
    }

    /**
     * Many members on both nodes joining and leaving one room at once: each watcher's view (its
     * joined members, then its presence events) never says join for someone present or leave for
     * someone absent, and ends where the room ends, as the REST API on both nodes says.
     */
    @Test
    void concurrentJoinsAndLeavesOnBothNodesLeaveEveryViewConsistent() throws Exception {
        String room = id("churn-");
        String watcher1 = id("W");
        String watcher2 = id("W");
        try (ChatClient w1 = ChatClient.welcomed(portOne, watcher1);
             ChatClient w2 = ChatClient.welcomed(portTwo, watcher2)) {
            List<String> v1 = members(w1.joined(room));
            List<String> v2 = members(w2.joined(room));
            int clients = 16;
            int rounds = 6;
            List<ChatClient> churners = new ArrayList<>();
            List<String> names = new ArrayList<>();
            Set<String> stay = new TreeSet<>();
            try {
                for (int i = 0; i < clients; i++) {
                    String name = id("C");
                    names.add(name);
                    churners.add(ChatClient.welcomed(i % 2 == 0 ? portOne : portTwo, name));
                    if (i % 3 == 0) {
                        stay.add(name);
                    }
                }
                List<CompletableFuture<Void>> runs = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    ChatClient c = churners.get(i);
                    boolean stays = stay.contains(names.get(i));
                    runs.add(CompletableFuture.runAsync(() -> {
                        for (int r = 0; r < rounds; r++) {
                            c.join(room);
                            c.skipTo(f -> f.get("type").asString().equals("joined"));
                            if (r < rounds - 1 || !stays) {
                                c.leave(room);
                                c.skipTo(f -> f.get("type").asString().equals("left"));
                            }
                        }
                    }));
                }
                CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

                Set<String> expected = new TreeSet<>(stay);
                expected.add(watcher1);
                expected.add(watcher2);
                for (int port : new int[] {portOne, portTwo}) {
                    ChatClient.await("REST members on " + port).until(() -> expected.equals(new TreeSet<>(restMembers(port, room))));
                }
                for (ChatClient w : List.of(w1, w2)) {
                    Set<String> view = new TreeSet<>(w == w1 ? v1 : v2);
                    List<String> wrong = new ArrayList<>();
                    ChatClient.await("a watcher's view").until(() -> {
                        while (w.available() > 0) {
                            JsonNode f = w.next();
                            String user = f.get("user") == null ? null : f.get("user").asString();
                            if (!f.get("type").asString().equals("presence")) {
                                wrong.add("not presence: " + f);
                            } else if (f.get("event").asString().equals("join") ? !view.add(user) : !view.remove(user)) {
                                wrong.add(f.get("event").asString() + " for " + user + " in " + view);
                            }
                        }
                        return !wrong.isEmpty() || view.equals(expected);
                    });
                    assertThat(wrong).as("frames a watcher should not have had").isEmpty();
                    assertThat(view).isEqualTo(expected);
                }
            } finally {
                churners.forEach(ChatClient::close);
            }
        }
    }

    @Test
    void aNodeCutOffFromRedisLosesItsMembersWithinTheTtlAndRegistersThemAgainWhenBack() {
        String room = id("cut-");
        String ada = id("Ada");
        String dan = id("Dan");
        try (TcpProxy proxy = TcpProxy.to(redis.port())) {
            // Names are not what this shows: with their lease at the TTL, Dan's session may close
            // (unavailable, 1013) before or after the others see him leave (protocol.md §5), so his
            // node keeps his name for far longer than the cut and his socket surely stays open.
            ConfigurableApplicationContext three = TestCluster.node(proxy.redisUrl(), TTL_SETTING,
                    "mailroom.cluster.name-lease=120s");
            assertThat(three.getBean(RedisNames.class).ttl()).isEqualTo(Duration.ofSeconds(120));
            assertThat(one.getBean(RedisNames.class).ttl()).as("unset: the presence TTL").isEqualTo(TTL);
            try (ChatClient a = ChatClient.welcomed(portOne, ada);
                 ChatClient d = ChatClient.welcomed(port(three), dan)) {
                a.joined(room);
                assertThat(members(d.joined(room))).containsExactly(ada, dan);
                expectPresence(a, room, "join", dan);

                long cutAt = System.nanoTime();
                proxy.cut();
                ChatClient.Received leave = a.nextReceived();
                assertThat(leave.json().toString()).contains("\"event\":\"leave\"").contains(dan);
                assertThat(Duration.ofNanos(leave.at() - cutAt)).as("presence leave after the cut")
                        .isLessThanOrEqualTo(TTL.plus(SLACK));
                assertThat(restMembers(portOne, room)).containsExactly(ada);
                assertThat(restMembers(portTwo, room)).containsExactly(ada);
                assertThat(d.isClosed()).as("the cut-off node keeps its sockets").isFalse();

                proxy.restore();
                expectPresence(a, room, "join", dan);
                for (int port : new int[] {portOne, portTwo}) {
                    ChatClient.await("Dan back in REST").until(() -> List.of(ada, dan).equals(restMembers(port, room)));
                }
                // Dan's node never lost Ada: he hears nothing of her
                assertThat(d.pending()).noneMatch(f -> f.get("type").asString().equals("presence"));
                // and the room works across both again
                long seq = d.sayUntilAcked(room, "back", "r");
                assertThat(a.expect("message").get("seq").asLong()).isEqualTo(seq);
            } finally {
                three.close();
            }
        }
    }

    @Test
    void aKilledNodesMembersLeaveWithinTheTtlAndItIsCleanedOutOfRedis() {
        String room = id("kill-");
        String ada = id("Ada");
        String eve = id("Eve");
        try (TcpProxy proxy = TcpProxy.to(redis.port())) {
            ConfigurableApplicationContext four = node(proxy.redisUrl());
            String fourId = four.getBean(RedisRoomPresence.class).node();
            try (ChatClient a = ChatClient.welcomed(portTwo, ada);
                 ChatClient e = ChatClient.welcomed(port(four), eve)) {
                a.joined(room);
                assertThat(members(e.joined(room))).containsExactly(ada, eve);
                expectPresence(a, room, "join", eve);
                assertThat(redis.command("SISMEMBER", "mailroom:{node:" + fourId + "}:rooms", room)).isEqualTo(":1");

                // a kill: the connections go first, so nothing it does on the way down reaches Redis
                long killedAt = System.nanoTime();
                proxy.cut();
                four.close();
                ChatClient.Received leave = a.nextReceived();
                assertThat(leave.json().toString()).contains("\"event\":\"leave\"").contains(eve);
                assertThat(Duration.ofNanos(leave.at() - killedAt)).as("presence leave after the kill")
                        .isLessThanOrEqualTo(TTL.plus(SLACK));
                assertThat(restMembers(portOne, room)).containsExactly(ada);
                assertThat(restMembers(portTwo, room)).containsExactly(ada);
                Waits.eventually().alias("the dead node swept out of Redis").until(() ->
                        redis.command("ZSCORE", "mailroom:nodes", fourId).equals("$-1")
                                && redis.command("EXISTS", "mailroom:{node:" + fourId + "}:rooms").equals(":0")
                                && redis.command("HEXISTS", "mailroom:{room:" + room + "}:members", eve).equals(":0"));
                assertThat(a.pending()).isEmpty();
            } finally {
                four.close();
            }
        }
    }
}
