package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TcpProxy;
import io.mailroom.cluster.TestCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Names across nodes (protocol.md §1 and §5), on one real redis-server and two nodes (two Spring
 * contexts in this JVM), with real WebSocket clients: a name held on one node is {@code name_taken}
 * on the other, whichever comes first; {@code resume} works on the other node, closing the old
 * session 4000 "replaced"; a wrong token is refused; a node that stops frees its names at once, one
 * that dies frees them within its lease ({@code presence-ttl}); and a Redis outage shorter than the
 * lease, with renewals failing meanwhile, ends no session.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChatClusterNamesTest {
    /** The two main nodes' lease: long enough that a loaded 2-core machine never lets a live one lapse. */
    static final String TTL_SETTING = "mailroom.cluster.presence-ttl=4s";
    private static final AtomicInteger IDS = new AtomicInteger();
    static TestCluster cluster;
    static RedisServer redis;
    static int portOne;
    static int portTwo;

    @BeforeAll
    static void startRedisAndTwoNodes() {
        cluster = TestCluster.startTwo(TTL_SETTING);
        redis = cluster.redis;
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

    static String claimKey(String user) {
        return "mailroom:{name:" + user.toLowerCase(Locale.ROOT) + "}:claim";
    }

    static void expectRefused(ChatClient c, String code, int closeCode) {
        c.expectError(code);
        assertThat(c.awaitClose()).isEqualTo(closeCode);
    }

    static double nameFailures(ConfigurableApplicationContext node) {
        return node.getBean(MeterRegistry.class).get("mailroom.cluster.redis.failures").tag("op", "name").counter().count();
    }

    static long nameRoundTrips(ConfigurableApplicationContext node) {
        return node.getBean(MeterRegistry.class).get("mailroom.cluster.redis").tag("op", "name").timer().count();
    }

    @Test
    void aNameHeldOnOneNodeIsTakenOnTheOtherWhicheverComesFirst() {
        String ada = id("Ada");
        String bob = id("Bob");
        try (ChatClient first = ChatClient.welcomed(portOne, ada);
             ChatClient second = ChatClient.welcomed(portTwo, bob)) {
            try (ChatClient again = ChatClient.connect(portTwo, ada);
                 ChatClient upper = ChatClient.connect(portTwo, ada.toUpperCase(Locale.ROOT));
                 ChatClient back = ChatClient.connect(portOne, bob.toLowerCase(Locale.ROOT))) {
                expectRefused(again, "name_taken", 1008);
                expectRefused(upper, "name_taken", 1008);
                expectRefused(back, "name_taken", 1008);
            }
            // the holders are untouched and still work
            String room = id("taken-");
            first.joined(room);
            second.joined(room);
            first.expect("presence");
            assertThat(second.say(room, "still here", "s").expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(first.expect("message").get("from").asString()).isEqualTo(bob);
        }
        // gone on both: free on both
        ChatClient.await("Ada's name freed").until(() -> redis.command("EXISTS", claimKey(ada)).equals(":0"));
        try (ChatClient a = ChatClient.welcomed(portTwo, ada); ChatClient b = ChatClient.welcomed(portOne, bob)) {
            assertThat(a.isClosed() || b.isClosed()).isFalse();
        }
    }

    @Test
    void resumeOnTheOtherNodeReplacesTheOldSessionAndTheNewOneWorksInARoom() {
        String ada = id("Ada");
        String carol = id("Carol");
        String room = id("resume-");
        try (ChatClient watcher = ChatClient.welcomed(portOne, carol);
             ChatClient old = ChatClient.connect(portOne, ada)) {
            String token = old.expect("welcome").get("session").asString();
            watcher.joined(room);
            old.joined(room);
            ChatClusterPresenceTest.expectPresence(watcher, room, "join", ada);
            assertThat(redis.command("GET", claimKey(ada))).as("the token is not stored in clear").doesNotContain(token);

            try (ChatClient fresh = ChatClient.connect(ChatClient.uri(portTwo, ada, token))) {
                JsonNode welcome = fresh.expect("welcome");
                assertThat(welcome.get("user").asString()).isEqualTo(ada);
                String newToken = welcome.get("session").asString();
                assertThat(newToken).isNotEqualTo(token);
                assertThat(old.awaitClose()).isEqualTo(4000);
                assertThat(old.closeReason()).isEqualTo("replaced");

                // the new session inherits no rooms; it joins on node two, and node one's member hears it
                fresh.say(room, "hi", "r").expectError("not_joined");
                assertThat(ChatClusterPresenceTest.members(fresh.joined(room))).contains(ada, carol);
                long seq = fresh.say(room, "from two", "t").expect("ack").get("seq").asLong();
                JsonNode message = watcher.skipTo(f -> f.get("type").asString().equals("message"));
                assertThat(message.get("from").asString()).isEqualTo(ada);
                assertThat(message.get("text").asString()).isEqualTo("from two");
                assertThat(message.get("seq").asLong()).isEqualTo(seq);

                // the old token resumes nothing any more, on either node; the new one does
                for (int port : new int[] {portOne, portTwo}) {
                    try (ChatClient thief = ChatClient.connect(ChatClient.uri(port, ada, token))) {
                        expectRefused(thief, "name_taken", 1008);
                    }
                }
                assertThat(fresh.isClosed()).isFalse();
                try (ChatClient third = ChatClient.connect(ChatClient.uri(portOne, ada, newToken))) {
                    third.expect("welcome");
                    assertThat(fresh.awaitClose()).isEqualTo(4000);
                    third.joined(room);
                    third.say(room, "back on one", "b").expect("ack");
                }
            }
        }
    }

    @Test
    void aWrongTokenIsRefusedAndTheHolderStays() {
        String ada = id("Ada");
        try (ChatClient holder = ChatClient.welcomed(portOne, ada)) {
            for (int port : new int[] {portTwo, portOne}) {
                try (ChatClient wrong = ChatClient.connect(ChatClient.uri(port, ada, "not-the-token"))) {
                    expectRefused(wrong, "name_taken", 1008);
                }
            }
            String room = id("wrong-");
            holder.joined(room);
            holder.say(room, "still mine", "m").expect("ack");
            assertThat(holder.isClosed()).isFalse();
        }
    }

    @Test
    void resumeOnTheSameNodeStillReplacesTheOldSession() {
        String ada = id("Ada");
        try (ChatClient old = ChatClient.connect(portTwo, ada)) {
            String token = old.expect("welcome").get("session").asString();
            try (ChatClient fresh = ChatClient.connect(ChatClient.uri(portTwo, ada, token))) {
                assertThat(fresh.expect("welcome").get("session").asString()).isNotEqualTo(token);
                assertThat(old.awaitClose()).isEqualTo(4000);
                assertThat(old.closeReason()).isEqualTo("replaced");
                try (ChatClient elsewhere = ChatClient.connect(portOne, ada)) {
                    expectRefused(elsewhere, "name_taken", 1008);
                }
                String room = id("same-");
                fresh.joined(room);
                fresh.say(room, "hi", "h").expect("ack");
            }
        }
    }

    @Test
    void aNodeThatStopsFreesItsNamesAtOnce() {
        String dan = id("Dan");
        ConfigurableApplicationContext three = TestCluster.node(redis.url(), TTL_SETTING);
        try {
            try (ChatClient d = ChatClient.welcomed(TestCluster.port(three), dan)) {
                try (ChatClient elsewhere = ChatClient.connect(portOne, dan)) {
                    expectRefused(elsewhere, "name_taken", 1008);
                }
                long stoppedAt = System.nanoTime();
                three.close();
                assertThat(d.awaitClose()).isEqualTo(1001);
                // released on the way out, not left to run out: gone as soon as the node is
                assertThat(redis.command("EXISTS", claimKey(dan))).isEqualTo(":0");
                try (ChatClient now = ChatClient.welcomed(portOne, dan)) {
                    System.out.printf("names: free on node one %d ms after node three began to stop%n",
                            Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis());
                }
            }
        } finally {
            three.close();
        }
    }

    @Test
    void aNodeThatDiesLosesItsNamesWithinTheLease() {
        Duration ttl = Duration.ofSeconds(2);
        String eve = id("Eve");
        try (TcpProxy proxy = TcpProxy.to(redis.port())) {
            ConfigurableApplicationContext four = TestCluster.node(proxy.redisUrl(),
                    "mailroom.cluster.presence-ttl=" + ttl.toMillis() + "ms");
            try (ChatClient e = ChatClient.welcomed(TestCluster.port(four), eve)) {
                // a kill: the connections go first, so nothing it does on the way down reaches Redis
                long killedAt = System.nanoTime();
                proxy.cut();
                four.close();
                try (ChatClient early = ChatClient.connect(portTwo, eve)) {
                    expectRefused(early, "name_taken", 1008); // its lease still runs
                }
                ChatClient winner = ChatClient.await("the name free on node two").pollInterval(Duration.ofMillis(50))
                        .until(() -> ChatClient.welcomedOrNullIfTaken(portTwo, eve), c -> c != null);
                Duration free = Duration.ofNanos(System.nanoTime() - killedAt);
                System.out.printf("names: a dead node's name free elsewhere after %d ms (lease %d ms)%n",
                        free.toMillis(), ttl.toMillis());
                assertThat(free).as("free within the lease").isLessThanOrEqualTo(ttl.plusSeconds(1));
                winner.close();
            } finally {
                four.close();
            }
        }
    }

    /**
     * A 1.5 s cut, well inside the 6 s lease, placed so that a renewal (every 2 s) falls 0.3 s into
     * it: that renewal fails, and is tried again every 250 ms at most, not 2 s later (so at least 3
     * failures in the cut, where waiting for the next interval would make 1); once Redis is back a
     * retry succeeds, and the session, its rooms and its name carry on.
     */
    @Test
    void aRedisOutageShorterThanTheLeaseEndsNoSession() {
        String fay = id("Fay");
        String gus = id("Gus");
        String room = id("outage-");
        Duration interval = Duration.ofSeconds(2);
        try (TcpProxy proxy = TcpProxy.to(redis.port())) {
            ConfigurableApplicationContext five = TestCluster.node(proxy.redisUrl(),
                    "mailroom.cluster.presence-ttl=" + interval.multipliedBy(3).toMillis() + "ms");
            try (ChatClient f = ChatClient.welcomed(TestCluster.port(five), fay);
                 ChatClient g = ChatClient.welcomed(portOne, gus)) {
                g.joined(room);
                f.joined(room);
                g.expect("presence");
                // Fay's session is the only one on node five: its name round trips are her renewals
                long renewals = nameRoundTrips(five);
                ChatClient.await("a renewal").until(() -> nameRoundTrips(five) > renewals);
                sleep(interval.toMillis() - 300);
                double before = nameFailures(five);
                long cutAt = System.nanoTime();
                proxy.cut();
                sleep(1500);
                proxy.restore();
                double failed = nameFailures(five) - before;
                System.out.printf("names: Redis cut off for %d ms; %.0f renewals failed meanwhile%n",
                        Duration.ofNanos(System.nanoTime() - cutAt).toMillis(), failed);
                assertThat(failed).as("failed renewals during the cut, each retried within 250 ms").isGreaterThanOrEqualTo(3);

                // the session stays, its name stays held, and it works again once Redis is back
                long seq = f.sayUntilAcked(room, "still here", "s");
                System.out.printf("names: sends acked again %d ms after the cut began%n",
                        Duration.ofNanos(System.nanoTime() - cutAt).toMillis());
                assertThat(g.skipTo(m -> m.get("type").asString().equals("message")).get("seq").asLong()).isEqualTo(seq);
                // past the whole lease since the cut: renewals have gone on
                sleep(Math.max(0, interval.multipliedBy(3).toMillis() + 500 - Duration.ofNanos(System.nanoTime() - cutAt).toMillis()));
                assertThat(f.isClosed()).as("closed with %s", f.closeReason()).isFalse();
                try (ChatClient other = ChatClient.connect(portTwo, fay)) {
                    expectRefused(other, "name_taken", 1008);
                }
            } finally {
                five.close();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
