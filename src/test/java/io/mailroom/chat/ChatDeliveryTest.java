package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Delivery under load and under failure: ordering and completeness with concurrent senders, room
 * processes killed mid-conversation, a slow consumer among fast ones, and 1,000 connections.
 * The send rate is raised so the senders are not rate limited (that rule has its own test).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.rate.capacity=1000000",
        "mailroom.chat.rate.refill-per-second=1000000"})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatDeliveryTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ExecutorService THREADS = Executors.newCachedThreadPool();

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Autowired
    SessionDirectory directory;

    @AfterAll
    static void stopThreads() {
        THREADS.shutdownNow();
    }

    static String id(String base) {
        return base + IDS.incrementAndGet();
    }

    /** The seqs a client saw in a room, across its ack and message frames, in arrival order. */
    static List<Long> seqsSeen(ChatClient c, String room) {
        List<Long> seqs = new ArrayList<>();
        for (ChatClient.Received r : c.all()) {
            String type = r.json().get("type").asString();
            if ((type.equals("ack") || type.equals("message")) && r.json().get("room").asString().equals(room)) {
                seqs.add(r.json().get("seq").asLong());
            }
        }
        return seqs;
    }

    static long count(ChatClient c, String type) {
        return c.all().stream().filter(r -> r.json().get("type").asString().equals(type)).count();
    }

    static List<Long> range(long from, long to) {
        return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
    }

    @Test
    void threeClientsSending200MessagesAtOnceEachGetEveryMessageOnceInSeqOrder() throws Exception {
        String room = id("storm-");
        List<ChatClient> clients = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = id("Storm");
            names.add(name);
            ChatClient c = ChatClient.welcomed(port, name);
            c.joined(room);
            clients.add(c);
        }
        try {
            List<Future<?>> senders = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ChatClient c = clients.get(i);
                senders.add(THREADS.submit(() -> {
                    for (int m = 0; m < 200; m++) {
                        c.say(room, "msg " + m, "r" + m);
                    }
                }));
            }
            for (Future<?> f : senders) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (ChatClient c : clients) {
                await().atMost(ChatClient.WAIT).until(() -> seqsSeen(c, room).size() == 600);
            }
            for (int i = 0; i < 3; i++) {
                ChatClient c = clients.get(i);
                assertThat(seqsSeen(c, room)).containsExactlyElementsOf(range(1, 600));
                assertThat(count(c, "ack")).isEqualTo(200);
                String me = names.get(i);
                List<JsonNode> messages = c.all().stream().map(ChatClient.Received::json)
                        .filter(n -> n.get("type").asString().equals("message")).toList();
                assertThat(messages).hasSize(400).noneMatch(n -> n.get("from").asString().equals(me));
                // each sender's own messages arrive in the order it sent them
                for (String other : names) {
                    List<String> texts = messages.stream().filter(n -> n.get("from").asString().equals(other))
                            .map(n -> n.get("text").asString()).toList();
                    if (!other.equals(me)) {
                        assertThat(texts).containsExactlyElementsOf(
                                java.util.stream.IntStream.range(0, 200).mapToObj(m -> "msg " + m).toList());
                    }
                }
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void killingTheRoomProcessMidConversationLosesNothingAndKeepsEveryoneJoined() throws Exception {
        String room = id("fragile-");
        List<ChatClient> clients = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = id("Brave");
            names.add(name);
            ChatClient c = ChatClient.welcomed(port, name);
            c.joined(room);
            clients.add(c);
        }
        int perClient = 150;
        AtomicLong acked = new AtomicLong();
        try {
            List<Future<?>> senders = new ArrayList<>();
            for (ChatClient c : clients) {
                senders.add(THREADS.submit(() -> {
                    for (int m = 0; m < perClient; m++) {
                        int sent = m;
                        // at most 5 unanswered at a time, so the kills land mid-conversation
                        await().atMost(ChatClient.WAIT).until(() -> count(c, "ack") >= sent - 5);
                        c.say(room, "m" + m, "r" + m);
                    }
                    await().atMost(ChatClient.WAIT).until(() -> count(c, "ack") == perClient);
                    acked.addAndGet(perClient);
                }));
            }
            Pid<?> previous = node.whereis(Room.processName(room)).orElseThrow();
            for (int kill = 1; kill <= 6; kill++) {
                long target = kill * 60L;
                await().atMost(ChatClient.WAIT).until(() ->
                        clients.stream().mapToLong(c -> count(c, "ack")).sum() >= target);
                Pid<?> victim = node.whereis(Room.processName(room)).orElseThrow();
                node.exit(victim, kill % 2 == 0 ? ExitReason.KILL : ExitReason.of("boom"));
                await().atMost(ChatClient.WAIT).until(() -> !victim.isAlive());
                previous = victim;
            }
            for (Future<?> f : senders) {
                f.get(60, TimeUnit.SECONDS);
            }
            Pid<?> last = previous;
            assertThat(acked.get()).isEqualTo(3L * perClient);
            long total = 3L * perClient;
            for (ChatClient c : clients) {
                await().atMost(ChatClient.WAIT).until(() -> seqsSeen(c, room).size() == total);
                assertThat(seqsSeen(c, room)).containsExactlyElementsOf(range(1, total));
                assertThat(count(c, "presence")).as("the restarts are invisible").isEqualTo(
                        c == clients.get(0) ? 2 : c == clients.get(1) ? 1 : 0);
            }
            // history intact, members still joined, and a room process running again
            JsonNode messages = Rest.get(port, "/api/rooms/" + room + "/messages?since=0&limit=1000").body();
            assertThat(messages).hasSize((int) total);
            for (int i = 0; i < total; i++) {
                assertThat(messages.get(i).get("seq").asLong()).isEqualTo(i + 1);
            }
            JsonNode detail = Rest.get(port, "/api/rooms/" + room).body();
            assertThat(detail.get("lastSeq").asLong()).isEqualTo(total);
            List<String> members = new ArrayList<>();
            detail.get("members").forEach(n -> members.add(n.asString()));
            assertThat(members).containsExactlyElementsOf(names.stream().sorted().toList());
            assertThat(node.whereis(Room.processName(room))).isPresent().get().isNotEqualTo(last);
            // and the conversation goes on
            clients.get(0).say(room, "after", "z");
            for (ChatClient c : clients.subList(1, 3)) {
                await().atMost(ChatClient.WAIT).until(() -> seqsSeen(c, room).contains(total + 1));
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedAsASlowConsumerWithoutSlowingTheOthers() throws Exception {
        String room = id("firehose-");
        String slowName = id("Slow");
        ChatClient sender = ChatClient.welcomed(port, id("Sender"));
        ChatClient fast1 = ChatClient.welcomed(port, id("Fast"));
        ChatClient fast2 = ChatClient.welcomed(port, id("Fast"));
        // a client that joins and then never reads, with a small kernel receive buffer
        RawClient slow = RawClient.connect(port, slowName, 16 * 1024);
        try {
            for (ChatClient c : List.of(sender, fast1, fast2)) {
                c.joined(room);
            }
            slow.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            await().atMost(ChatClient.WAIT).until(() -> count(fast2, "presence") == 1);
            // it reads again as soon as its session has ended, to see the close frame: a client that
            // never reads again can only see the connection drop once the close times out
            CompletableFuture<RawClient.Frame> closeFrame = CompletableFuture.supplyAsync(() -> {
                await().atMost(Duration.ofSeconds(60)).until(() -> node.whereis(Session.processName(slowName)).isEmpty());
                try {
                    return slow.readUntilClose();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, THREADS);
            // 200 messages of 4000 four-byte code points: 3.2 MB of UTF-8
            String payload = "😀".repeat(3990);
            int count = 200;
            Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
            // a steady stream (at most 4 in flight to the fast clients), not one burst: latency is then
            // each message's own, not the time to drain 3 MB through a 2-core machine
            for (int i = 0; i < count; i++) {
                int sent = i;
                await().atMost(ChatClient.WAIT).until(() -> count(fast1, "message") >= sent - 4);
                sentAt.put(i, System.nanoTime());
                sender.say(room, String.format("%06d ", i) + payload, null);
            }
            await().atMost(ChatClient.WAIT).until(() -> count(sender, "ack") == count);
            List<Long> latencies = new ArrayList<>();
            for (ChatClient fast : List.of(fast1, fast2)) {
                await().atMost(ChatClient.WAIT).until(() -> count(fast, "message") == count);
                for (ChatClient.Received r : fast.all()) {
                    if (r.json().get("type").asString().equals("message")) {
                        int i = Integer.parseInt(r.json().get("text").asString().substring(0, 6));
                        latencies.add(r.at() - sentAt.get(i));
                    }
                }
            }
            latencies.sort(null);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            System.out.printf("slow consumer test: p99 delivery to the fast clients %.1f ms, max %.1f ms%n",
                    p99 / 1e6, latencies.getLast() / 1e6);
            assertThat(Duration.ofNanos(p99)).as("p99 delivery to the fast clients").isLessThan(Duration.ofSeconds(1));

            // the slow one is closed with 1008 slow_consumer: its session is gone, the others see it leave
            await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(slowName)).isEmpty());
            JsonNode presence = fast1.skipTo(n -> n.get("type").asString().equals("presence")
                    && n.get("event").asString().equals("leave"));
            assertThat(presence.get("user").asString()).isEqualTo(slowName);
            RawClient.Frame close = closeFrame.get(30, TimeUnit.SECONDS);
            assertThat(close).isNotNull();
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("slow_consumer");
        } finally {
            for (ChatClient c : List.of(sender, fast1, fast2)) {
                c.close();
            }
            slow.close();
        }
    }

    @Test
    void aThousandConcurrentConnectionsJoinSendAndAreCleanedUpAfterDisconnect() throws Exception {
        int n = 1000;
        int rooms = 10;
        String prefix = id("crowd-");
        List<ChatClient> clients = new ArrayList<>(n);
        try {
            for (int batch = 0; batch < n; batch += 100) {
                List<CompletableFuture<ChatClient>> connecting = new ArrayList<>();
                for (int i = batch; i < batch + 100; i++) {
                    connecting.add(ChatClient.connectAsync(ChatClient.uri(port, prefix + "u" + i)));
                }
                for (CompletableFuture<ChatClient> f : connecting) {
                    clients.add(f.get(60, TimeUnit.SECONDS));
                }
            }
            for (ChatClient c : clients) {
                c.expect("welcome");
            }
            assertThat(directory.count()).isGreaterThanOrEqualTo(n);
            for (int i = 0; i < n; i++) {
                clients.get(i).join(prefix + (i % rooms));
            }
            for (ChatClient c : clients) {
                c.skipTo(f -> f.get("type").asString().equals("joined"));
            }
            for (int i = 0; i < n; i++) {
                clients.get(i).say(prefix + (i % rooms), "hello from " + i, "h");
            }
            Set<String> seqs = new HashSet<>();
            for (int i = 0; i < n; i++) {
                JsonNode ack = clients.get(i).skipTo(f -> f.get("type").asString().equals("ack"));
                assertThat(seqs.add(ack.get("room").asString() + "#" + ack.get("seq").asLong())).isTrue();
            }
            for (int r = 0; r < rooms; r++) {
                JsonNode detail = Rest.get(port, "/api/rooms/" + prefix + r).body();
                assertThat(detail.get("members")).hasSize(n / rooms);
                assertThat(detail.get("lastSeq").asLong()).isEqualTo(n / rooms);
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(directory.count()).isZero();
            AtomicInteger sessions = new AtomicInteger();
            node.forEachProcess(p -> {
                if (p.type().equals("session")) {
                    sessions.incrementAndGet();
                }
            });
            assertThat(sessions.get()).isZero();
            assertThat(node.registered().keySet()).noneMatch(name -> name.startsWith("session:"));
            for (int r = 0; r < rooms; r++) {
                assertThat(Rest.get(port, "/api/rooms/" + prefix + r).body().get("members")).isEmpty();
            }
        });
    }
}
