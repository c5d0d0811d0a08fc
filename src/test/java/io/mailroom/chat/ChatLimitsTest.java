package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** The configurable limits, set small: session limit, stored history, idle rooms, dead peers. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.max-sessions=3",
        "mailroom.chat.history-size=5",
        "mailroom.chat.room-idle-timeout=300ms",
        "mailroom.chat.ping-interval=300ms",
        "mailroom.chat.join-rate.capacity=8",
        "mailroom.chat.catch-up-bytes=2KB",
        "mailroom.chat.join-rate.refill-per-second=2"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatLimitsTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Autowired
    SessionDirectory directory;

    static String id(String base) {
        return base + IDS.incrementAndGet();
    }

    private void noSessions() {
        await().atMost(ChatClient.WAIT).until(() -> directory.count() == 0);
    }

    /**
     * join and leave have their own bucket (8 here, refilled at 2/s): a join flood is answered
     * rate_limited past it, with the frame's ref, and a refused join joins nothing; leaves draw on the
     * same bucket; send has its own.
     */
    @Test
    void joinsAndLeavesPastTheirBucketAreRateLimited() {
        String room = id("churn");
        try (ChatClient c = ChatClient.welcomed(port, id("Churn"))) {
            for (int i = 0; i < 20; i++) {
                c.send(Map.of("type", "join", "room", room + "-" + i, "ref", "r" + i));
            }
            List<String> joined = new ArrayList<>();
            List<String> limitedRefs = new ArrayList<>();
            for (int answered = 0; answered < 20; answered++) {
                JsonNode n = c.skipTo(f -> f.get("type").asString().matches("joined|error"));
                if (n.get("type").asString().equals("joined")) {
                    joined.add(n.get("room").asString());
                } else {
                    assertThat(n.get("code").asString()).isEqualTo("rate_limited");
                    limitedRefs.add(n.get("ref").asString());
                }
            }
            // 8 at once, plus what 2/s refilled while the burst was handled
            assertThat(joined).hasSizeBetween(8, 11);
            assertThat(limitedRefs).hasSize(20 - joined.size()).allMatch(ref -> ref.matches("r\\d+"));
            for (String ref : limitedRefs) {
                c.say(room + "-" + ref.substring(1), "in?", "x" + ref).expectError("not_joined");
            }
            // the bucket is empty: leaves are refused too, and leave their rooms joined
            for (String r : joined.subList(0, 4)) {
                c.send(Map.of("type", "leave", "room", r, "ref", "l-" + r));
            }
            int leavesLimited = 0;
            for (int answered = 0; answered < 4; answered++) {
                JsonNode n = c.skipTo(f -> f.get("type").asString().matches("left|error"));
                if (n.get("type").asString().equals("error")) {
                    assertThat(n.get("code").asString()).isEqualTo("rate_limited");
                    leavesLimited++;
                }
            }
            assertThat(leavesLimited).isGreaterThanOrEqualTo(2);
            // send has its own bucket, untouched by the churn
            c.say(joined.get(joined.size() - 1), "still talking", "s1").expect("ack");
        }
    }

    @Test
    void pastTheSessionLimitTheServerIsFull() {
        noSessions();
        List<ChatClient> clients = new ArrayList<>();
        try {
            String first = id("Full");
            ChatClient c0 = ChatClient.connect(port, first);
            String token = c0.expect("welcome").get("session").asString();
            clients.add(c0);
            clients.add(ChatClient.welcomed(port, id("Full")));
            clients.add(ChatClient.welcomed(port, id("Full")));
            try (ChatClient refused = ChatClient.connect(port, id("Full"))) {
                refused.expectError("server_full");
                assertThat(refused.awaitClose()).isEqualTo(1013);
            }
            // a taken name is name_taken, full or not (the contract's order)
            try (ChatClient taken = ChatClient.connect(port, first)) {
                taken.expectError("name_taken");
            }
            // a resume frees a session as it takes one: allowed at the limit
            ChatClient resumed = ChatClient.connect(ChatClient.uri(port, first, token));
            resumed.expect("welcome");
            assertThat(c0.awaitClose()).isEqualTo(4000);
            clients.add(resumed);
            // a disconnect frees a place
            clients.remove(1).close();
            await().atMost(ChatClient.WAIT).until(() -> directory.count() == 2);
            clients.add(ChatClient.welcomed(port, id("Full")));
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aRoomStoresItsLastHistorySizeMessagesAndSaysWhenACatchUpIsTruncated() {
        noSessions();
        String room = id("short-");
        try (ChatClient a = ChatClient.welcomed(port, id("Teller"))) {
            a.joined(room);
            for (int i = 1; i <= 8; i++) {
                a.say(room, "n" + i, null);
            }
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 8);
            JsonNode last = a.joined(room);
            assertThat(seqs(last.get("history"))).containsExactly(4L, 5L, 6L, 7L, 8L);
            assertThat(last.has("truncated")).isFalse();
            JsonNode truncated = a.send(Map.of("type", "join", "room", room, "since", 1)).expect("joined");
            assertThat(seqs(truncated.get("history"))).containsExactly(4L, 5L, 6L, 7L, 8L);
            assertThat(truncated.get("truncated").asBoolean()).isTrue();
            JsonNode whole = a.send(Map.of("type", "join", "room", room, "since", 3)).expect("joined");
            assertThat(seqs(whole.get("history"))).containsExactly(4L, 5L, 6L, 7L, 8L);
            assertThat(whole.has("truncated")).isFalse();
            assertThat(whole.has("more")).isFalse();
            JsonNode rest = Rest.get(port, "/api/rooms/" + room + "/messages?since=0").body();
            assertThat(seqs(rest)).containsExactly(4L, 5L, 6L, 7L, 8L);
        }
    }

    /**
     * A catch-up carries at most catch-up-bytes of history (2 KiB here), then "more":true; joining
     * again from the last seq seen pages through the rest without a gap.
     */
    @Test
    void aCatchUpPastItsByteBoundSaysMoreAndPagingOnGetsTheRestWithoutAGap() {
        String room = id("paged-");
        try (ChatClient a = ChatClient.welcomed(port, id("Pager"))) {
            a.joined(room);
            for (int i = 1; i <= 5; i++) {
                a.say(room, i + "x".repeat(700), null);
            }
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 5);
            List<Long> got = new ArrayList<>();
            List<Boolean> more = new ArrayList<>();
            long since = 0;
            do {
                JsonNode joined = a.send(Map.of("type", "join", "room", room, "since", since)).expect("joined");
                List<Long> page = seqs(joined.get("history"));
                assertThat(ChatClient.historyBytes(joined)).isLessThanOrEqualTo(2048);
                got.addAll(page);
                more.add(joined.path("more").asBoolean(false));
                since = page.isEmpty() ? since : page.get(page.size() - 1);
            } while (more.get(more.size() - 1) && more.size() < 10);
            assertThat(got).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(more).containsExactly(true, true, false);
        }
    }

    /**
     * A REST messages page holds at most catch-up-bytes of frames (2 KiB here) besides its limit,
     * says Mailroom-More while stored messages remain after it, and paging on from its last seq
     * gets the rest without a gap; without since, the newest that fit.
     */
    @Test
    void restMessagesPagesAreCappedInBytesAndSayWhenMoreRemain() {
        String room = id("rest-paged-");
        try (ChatClient a = ChatClient.welcomed(port, id("Rester"))) {
            a.joined(room);
            for (int i = 1; i <= 5; i++) {
                a.say(room, i + "x".repeat(700), null);
            }
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 5);
            List<Long> got = new ArrayList<>();
            List<String> more = new ArrayList<>();
            long since = 0;
            do {
                Rest.Answer page = Rest.get(port, "/api/rooms/" + room + "/messages?since=" + since + "&limit=1000");
                assertThat(page.status()).isEqualTo(200);
                assertThat(page.body().isArray()).isTrue();
                long bytes = 0;
                for (JsonNode m : page.body()) {
                    bytes += m.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                }
                assertThat(bytes).isLessThanOrEqualTo(2048);
                List<Long> seqs = seqs(page.body());
                got.addAll(seqs);
                more.add(String.valueOf(page.header(io.mailroom.chat.web.RoomsController.MORE)));
                since = seqs.get(seqs.size() - 1);
            } while (!more.get(more.size() - 1).equals("null") && more.size() < 10);
            assertThat(got).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(more).containsExactly("true", "true", "null");
            // the limit alone leaving stored messages out says so too
            assertThat(Rest.get(port, "/api/rooms/" + room + "/messages?since=3&limit=1")
                    .header(io.mailroom.chat.web.RoomsController.MORE)).isEqualTo("true");
            Rest.Answer newest = Rest.get(port, "/api/rooms/" + room + "/messages");
            assertThat(seqs(newest.body())).containsExactly(4L, 5L);
            assertThat(newest.header(io.mailroom.chat.web.RoomsController.MORE)).isEqualTo("true");
        }
    }

    static List<Long> seqs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("seq").asLong()));
        return out;
    }

    @Test
    void aRoomProcessStopsWhenIdleAndItsHistoryAndSeqCarryOn() {
        noSessions();
        String room = id("idle-");
        try (ChatClient a = ChatClient.welcomed(port, id("Idler"))) {
            a.joined(room);
            a.say(room, "before", null).expect("ack");
            Pid<?> first = node.whereis(Room.processName(room)).orElseThrow();
            // a member keeps it alive past the idle timeout
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(first::isAlive);
            a.leave(room).expect("left");
            await().atMost(ChatClient.WAIT).until(() -> !first.isAlive());
            assertThat(node.whereis(Room.processName(room))).isEmpty();
            assertThat(Rest.get(port, "/api/rooms/" + room).body().get("lastSeq").asLong()).isEqualTo(1);
            JsonNode joined = a.joined(room);
            assertThat(seqs(joined.get("history"))).containsExactly(1L);
            assertThat(a.say(room, "after", null).expect("ack").get("seq").asLong()).isEqualTo(2);
            assertThat(node.whereis(Room.processName(room))).isPresent().get().isNotEqualTo(first);
        }
    }

    @Test
    void aPeerThatDoesNotAnswerPingsIsClosedAndCleanedUp() throws Exception {
        noSessions();
        String mute = id("Mute");
        String room = id("pings-");
        try (ChatClient watcher = ChatClient.welcomed(port, id("Watcher"));
             RawClient dead = RawClient.connect(port, mute, 64 * 1024)) {
            watcher.joined(room);
            dead.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            assertThat(watcher.expect("presence").get("event").asString()).isEqualTo("join");
            JsonNode leave = watcher.expect("presence");
            assertThat(leave.get("event").asString()).isEqualTo("leave");
            assertThat(leave.get("user").asString()).isEqualTo(mute);
            await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(mute)).isEmpty());
            // a client that answers pings (the JDK's does) stays through many intervals
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> !watcher.isClosed() && directory.count() == 1);
        }
    }
}
