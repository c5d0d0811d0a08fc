package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Two nodes (two Spring contexts in this JVM) on one real redis-server (protocol.md §5): one
 * gapless seq order per room whichever node a member is on, one history and one epoch; Redis
 * stopped: {@code unavailable}, never an ack; Redis back: nothing missing, nothing twice; Redis
 * flushed: a new epoch.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatClusterTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    static TestCluster cluster;
    static RedisServer redis;
    static ConfigurableApplicationContext one;
    static ConfigurableApplicationContext two;
    static int portOne;
    static int portTwo;

    @BeforeAll
    static void startRedisAndTwoNodes() {
        // Redis is stopped for seconds below; a node is not to be taken for dead meanwhile
        // (ChatClusterPresenceTest is about that)
        cluster = TestCluster.startTwo("mailroom.cluster.presence-ttl=60s");
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

    @Test
    void membersOnBothNodesSeeOneGaplessOrderUnderConcurrentSendersOnBoth() throws Exception {
        String room = id("both-");
        List<ChatClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                clients.add(ChatClient.welcomed(i % 2 == 0 ? portOne : portTwo, id("U")));
            }
            List<String> epochs = new ArrayList<>();
            for (ChatClient c : clients) {
                epochs.add(c.joined(room).get("epoch").asString());
            }
            assertThat(epochs).doesNotContainNull().containsOnly(epochs.get(0));

            int each = 50;
            List<CompletableFuture<Void>> senders = new ArrayList<>();
            for (ChatClient c : clients) {
                senders.add(CompletableFuture.runAsync(() -> {
                    for (int n = 0; n < each; n++) {
                        c.say(room, "m" + n, "r" + n);
                    }
                }));
            }
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            int total = each * clients.size();

            // every client: seqs 1..total exactly once, in order, across its message and ack frames; its own acks in send order
            Map<Long, String> textBySeq = new HashMap<>();
            for (ChatClient c : clients) {
                List<Long> seqs = new ArrayList<>();
                List<String> myRefs = new ArrayList<>();
                while (seqs.size() < total) {
                    JsonNode f = c.next();
                    String type = f.get("type").asString();
                    if (type.equals("message")) {
                        seqs.add(f.get("seq").asLong());
                        String before = textBySeq.putIfAbsent(f.get("seq").asLong(), f.toString());
                        if (before != null) {
                            assertThat(f.toString()).as("seq %s on every node", f.get("seq")).isEqualTo(before);
                        }
                    } else if (type.equals("presence")) {
                        continue; // the later joiners' presence join
                    } else if (type.equals("ack")) {
                        seqs.add(f.get("seq").asLong());
                        myRefs.add(f.get("ref").asString());
                    } else {
                        throw new AssertionError("unexpected " + f);
                    }
                }
                List<Long> expected = new ArrayList<>();
                for (long s = 1; s <= total; s++) {
                    expected.add(s);
                }
                assertThat(seqs).as("seqs seen by a client").isEqualTo(expected);
                List<String> sent = new ArrayList<>();
                for (int n = 0; n < each; n++) {
                    sent.add("r" + n);
                }
                assertThat(myRefs).isEqualTo(sent);
            }

            // history and since from either node: the same frames, the same epoch
            try (ChatClient late = ChatClient.welcomed(portTwo, id("Late"));
                 ChatClient other = ChatClient.welcomed(portOne, id("Other"))) {
                JsonNode joined = late.send(Map.of("type", "join", "room", room, "since", 0)).expect("joined");
                assertThat(joined.get("epoch").asString()).isEqualTo(epochs.get(0));
                assertThat(ChatLimitsTest.seqs(joined.get("history"))).hasSize(total).startsWith(1L).endsWith((long) total);
                JsonNode tail = other.send(Map.of("type", "join", "room", room, "since", total - 3)).expect("joined");
                List<String> tailFrames = new ArrayList<>();
                tail.get("history").forEach(h -> tailFrames.add(h.toString()));
                assertThat(tailFrames).containsExactly(textBySeq.get((long) total - 2), textBySeq.get((long) total - 1),
                        textBySeq.get((long) total));
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aRoomWithMembersOnOneNodeOnlyStillNumbersOnAfterTheOtherNodesMessages() {
        String room = id("relay-");
        try (ChatClient a = ChatClient.welcomed(portOne, id("Ada"))) {
            a.joined(room);
            assertThat(a.say(room, "one", null).expect("ack").get("seq").asLong()).isEqualTo(1);
            try (ChatClient b = ChatClient.welcomed(portTwo, id("Bob"))) {
                JsonNode joined = b.joined(room);
                assertThat(ChatLimitsTest.seqs(joined.get("history"))).containsExactly(1L);
                assertThat(b.say(room, "two", null).expect("ack").get("seq").asLong()).isEqualTo(2);
                assertThat(a.expect("presence").get("event").asString()).isEqualTo("join");
                assertThat(a.expect("message").get("seq").asLong()).isEqualTo(2);
            }
        }
    }

    /**
     * protocol.md §2 holds across nodes (§5): a room's messages page is the same on a node where
     * the room has no member and no process, with since, limit, more and epoch; an unknown room
     * is 404 on both.
     */
    @Test
    void theMessagesOfARoomAreTheSameOnANodeWhereItHasNoMember() {
        String room = id("rest-");
        try (ChatClient a = ChatClient.welcomed(portOne, id("Ada"))) {
            String epoch = a.joined(room).get("epoch").asString();
            for (int n = 1; n <= 12; n++) {
                assertThat(a.say(room, "text " + n, null).expect("ack").get("seq").asLong()).isEqualTo(n);
            }
            for (String path : List.of("/messages", "/messages?limit=5", "/messages?since=3&limit=4",
                    "/messages?since=10", "/messages?since=12", "/messages?since=-4&limit=2")) {
                Rest.Answer here = Rest.get(portOne, "/api/rooms/" + room + path);
                Rest.Answer there = Rest.get(portTwo, "/api/rooms/" + room + path);
                assertThat(there.status()).as(path).isEqualTo(200);
                assertThat(there.body()).as(path).isEqualTo(here.body());
                assertThat(there.header("Mailroom-Epoch")).as(path).isEqualTo(epoch).isEqualTo(here.header("Mailroom-Epoch"));
                assertThat(there.header("Mailroom-More")).as(path).isEqualTo(here.header("Mailroom-More"));
            }
            Rest.Answer page = Rest.get(portTwo, "/api/rooms/" + room + "/messages?since=3&limit=4");
            assertThat(ChatLimitsTest.seqs(page.body())).containsExactly(4L, 5L, 6L, 7L);
            assertThat(page.header("Mailroom-More")).isEqualTo("true");
            assertThat(ChatLimitsTest.seqs(Rest.get(portTwo, "/api/rooms/" + room + "/messages?limit=5").body()))
                    .containsExactly(8L, 9L, 10L, 11L, 12L);
            assertThat(Rest.get(portTwo, "/api/rooms/" + room + "/messages?since=10").header("Mailroom-More")).isNull();
            assertThat(Rest.get(portTwo, "/api/rooms/" + room + "/messages?since=12").body()).isEmpty();
            assertThat(Rest.get(portTwo, "/api/rooms/" + room + "/messages?limit=0").status()).isEqualTo(400);
        }
        String unknown = id("never-");
        assertThat(Rest.get(portOne, "/api/rooms/" + unknown + "/messages").status()).isEqualTo(404);
        assertThat(Rest.get(portTwo, "/api/rooms/" + unknown + "/messages").status()).isEqualTo(404);
    }

    @Test
    void redisAwayRefusesSendsWithUnavailableAndCatchesUpWithoutGapOrDuplicateWhenBack() {
        String room = id("away-");
        try (ChatClient a = ChatClient.welcomed(portOne, id("Ada"));
             ChatClient b = ChatClient.welcomed(portTwo, id("Bob"))) {
            a.joined(room);
            b.joined(room);
            assertThat(a.expect("presence").get("event").asString()).isEqualTo("join");
            assertThat(a.say(room, "before", "x").expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(b.expect("message").get("seq").asLong()).isEqualTo(1);

            redis.stopSaving();
            await().atMost(ChatClient.WAIT).until(() -> Rest.get(portOne, "/actuator/health/readiness").status() == 503);
            assertThat(Rest.get(portOne, "/actuator/health/liveness").status()).isEqualTo(200);
            // every send refused, none acknowledged, none delivered; the sockets stay open
            for (int i = 0; i < 3; i++) {
                JsonNode error = a.say(room, "during" + i, "d" + i).expectError("unavailable");
                assertThat(error.get("ref").asString()).isEqualTo("d" + i);
                b.say(room, "b-during" + i, null).expectError("unavailable");
            }
            assertThat(a.isClosed()).isFalse();
            assertThat(b.isClosed()).isFalse();
            // the rooms API answers from Redis in cluster mode: without it, a clear 503, not a node's partial view
            for (String path : new String[] {"/api/rooms", "/api/rooms/" + room}) {
                Rest.Answer answer = Rest.get(portTwo, path);
                assertThat(answer.status()).as(path).isEqualTo(503);
                assertThat(answer.contentType()).startsWith("application/problem+json");
            }

            redis.start();
            await().atMost(ChatClient.WAIT).until(() -> Rest.get(portOne, "/actuator/health/readiness").status() == 200);
            // a send succeeds again once the room has caught up: the seqs continue where they stood
            long seq = b.sayUntilAcked(room, "after", "y");
            assertThat(seq).isEqualTo(2);
            JsonNode after = a.expect("message");
            assertThat(after.get("seq").asLong()).isEqualTo(2);
            assertThat(after.get("text").asString()).isEqualTo("after");
            assertThat(a.say(room, "again", null).expect("ack").get("seq").asLong()).isEqualTo(3);
            assertThat(b.expect("message").get("seq").asLong()).isEqualTo(3);
            assertThat(a.pending()).isEmpty();
        }
    }

    @Test
    void redisFlushedStartsANewEpochAtSeqOne() {
        String room = id("flush-");
        try (ChatClient a = ChatClient.welcomed(portOne, id("Ada"))) {
            String epoch = a.joined(room).get("epoch").asString();
            assertThat(a.say(room, "one", null).expect("ack").get("seq").asLong()).isEqualTo(1);
            a.leave(room).expect("left");
            redis.flushAll();
            try (ChatClient b = ChatClient.welcomed(portTwo, id("Bob"))) {
                JsonNode joined = b.joined(room);
                String fresh = joined.get("epoch").asString();
                assertThat(fresh).isNotEqualTo(epoch);
                assertThat(joined.get("history")).isEmpty();
                assertThat(b.say(room, "new", null).expect("ack").get("seq").asLong()).isEqualTo(1);
                // the other node learns the new epoch too, and shows none of the old seqs
                JsonNode again = a.joined(room);
                assertThat(again.get("epoch").asString()).isEqualTo(fresh);
                assertThat(ChatLimitsTest.seqs(again.get("history"))).containsExactly(1L);
            }
        }
    }

    @Test
    void membersWhoStayJoinedThroughAFlushGetTheNewEpochAndEachOfItsMessagesOnce() {
        String room = id("stay-");
        try (ChatClient a = ChatClient.welcomed(portOne, id("Ada"));
             ChatClient c = ChatClient.welcomed(portOne, id("Cyd"));
             ChatClient b = ChatClient.welcomed(portTwo, id("Bob"))) {
            String old = a.joined(room).get("epoch").asString();
            c.joined(room);
            b.joined(room);
            assertThat(b.say(room, "old", null).expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(skipPresence(a).get("seq").asLong()).isEqualTo(1);
            assertThat(skipPresence(c).get("seq").asLong()).isEqualTo(1);

            redis.flushAll();
            List<String> sent = List.of("new1", "new2", "new3");
            for (String text : sent) {
                b.say(room, text, text);
            }
            // each member: a joined of the new epoch, then that epoch's messages, each once, in seq order
            for (ChatClient member : List.of(a, c, b)) {
                String epoch = null;
                Map<Long, String> seen = new LinkedHashMap<>();
                while (seen.size() < sent.size()) {
                    JsonNode f = skipPresence(member);
                    switch (f.get("type").asString()) {
                        case "joined" -> {
                            epoch = f.get("epoch").asString();
                            assertThat(epoch).isNotEqualTo(old);
                            for (JsonNode m : f.get("history")) {
                                assertThat(seen.put(m.get("seq").asLong(), m.get("text").asString())).isNull();
                            }
                        }
                        case "message" -> {
                            assertThat(epoch).as("a message of the new epoch before its joined").isNotNull();
                            long seq = f.get("seq").asLong();
                            assertThat(seen).doesNotContainKey(seq);
                            assertThat(seen.keySet()).allMatch(s -> s < seq);
                            seen.put(seq, f.get("text").asString());
                        }
                        case "ack" -> {
                            assertThat(member).isSameAs(b);
                            seen.putIfAbsent(f.get("seq").asLong(), f.get("ref").asString());
                        }
                        default -> throw new AssertionError("unexpected frame " + f);
                    }
                }
                assertThat(epoch).as("the new epoch reached %s", member).isNotNull();
                assertThat(seen).containsExactly(Map.entry(1L, "new1"), Map.entry(2L, "new2"), Map.entry(3L, "new3"));
            }
        }
    }

    /** The next frame that is not a presence event (the members' own joins). */
    static JsonNode skipPresence(ChatClient client) {
        JsonNode f = client.next();
        while (f.get("type").asString().equals("presence")) {
            f = client.next();
        }
        return f;
    }
}
