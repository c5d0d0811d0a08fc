package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.Node;
import io.mailroom.websocket.WireFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The transport's promises over real sockets, with the contract's default limits: a client that
 * stops reading is closed as a slow consumer once about the bound waits for it, while every other
 * member keeps getting every message promptly; a client paused below the bound loses nothing; every
 * recipient gets the very same bytes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatTransportTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    /** Two- and three-byte UTF-8: with its tag a ~12 KB message frame, as in the burst. */
    private static final String BIG = "é€ü".repeat(1331); // 3,993 characters: with a 7-character tag, the 4,000 allowed
    private static final int BOUND = 1 << 20;

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Autowired
    org.springframework.boot.web.server.context.WebServerApplicationContext web;

    @AfterAll
    static void stopThreads() {
        THREADS.shutdownNow();
    }

    static String id(String base) {
        return base + IDS.incrementAndGet();
    }

    /** The message seqs {@code c} got in {@code room}, in arrival order. */
    static List<Long> messageSeqs(ChatClient c, String room) {
        List<Long> seqs = new ArrayList<>();
        for (ChatClient.Received r : c.all()) {
            JsonNode j = r.json();
            if (j.get("type").asString().equals("message") && j.get("room").asString().equals(room)) {
                seqs.add(j.get("seq").asLong());
            }
        }
        return seqs;
    }

    @Test
    void aPausedClientIsClosedAtTheBoundWhileSendersAndAReaderGetEverythingPromptly() throws Exception {
        String room = id("burst-");
        String pausedName = id("Paused");
        List<ChatClient> senders = List.of(ChatClient.welcomed(port, id("S")), ChatClient.welcomed(port, id("S")),
                ChatClient.welcomed(port, id("S")));
        ChatClient reader = ChatClient.welcomed(port, id("Reader"));
        RawClient paused = RawClient.connect(port, pausedName, 16 * 1024);
        try {
            for (ChatClient c : senders) {
                c.joined(room);
            }
            reader.joined(room);
            paused.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            await().atMost(ChatClient.WAIT).until(() -> reader.all().stream()
                    .anyMatch(r -> r.text().contains("\"event\":\"join\"") && r.text().contains(pausedName)));
            // once its session has ended it reads again, to see what reached it and the close frame
            CompletableFuture<List<RawClient.Frame>> pausedFrames = CompletableFuture.supplyAsync(() -> {
                await().atMost(Duration.ofSeconds(60)).until(() -> node.whereis(Session.processName(pausedName)).isEmpty());
                List<RawClient.Frame> frames = new ArrayList<>();
                try {
                    while (true) {
                        RawClient.Frame f = paused.read();
                        frames.add(f);
                        if (f.opcode() == 8) {
                            return frames;
                        }
                    }
                } catch (java.io.IOException e) {
                    return frames; // the connection ended without a close frame: the assertion below says so
                }
            }, THREADS);

            // three senders at 40 messages/s each, as fast as the rate limit (100, refilled at 50/s) allows
            // for long: each sender's i-th message is scheduled at i × 25 ms
            int perSender = 120;
            Map<String, Long> sentAt = new ConcurrentHashMap<>();
            List<ScheduledFuture<?>> sends = new ArrayList<>();
            ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
            try {
                for (int s = 0; s < senders.size(); s++) {
                    ChatClient sender = senders.get(s);
                    for (int i = 0; i < perSender; i++) {
                        String tag = String.format("%d-%04d ", s, i);
                        sends.add(pacer.schedule(() -> {
                            sentAt.put(tag, System.nanoTime());
                            sender.say(room, tag + BIG, null);
                        }, i * 25L, TimeUnit.MILLISECONDS));
                    }
                }
                for (ScheduledFuture<?> send : sends) {
                    send.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pacer.shutdownNow();
            }
            int total = perSender * senders.size();
            for (ChatClient sender : senders) {
                await().atMost(ChatClient.WAIT).until(() -> ChatDeliveryTest.count(sender, "ack") == perSender);
                assertThat(ChatDeliveryTest.count(sender, "error")).as("rate limited or refused").isZero();
            }

            // every other member got every message, once, in seq order (a sender its own as acks)
            await().atMost(ChatClient.WAIT).until(() -> messageSeqs(reader, room).size() == total);
            assertThat(messageSeqs(reader, room)).containsExactlyElementsOf(ChatDeliveryTest.range(1, total));
            for (ChatClient sender : senders) {
                await().atMost(ChatClient.WAIT).until(() -> messageSeqs(sender, room).size() == total - perSender);
                assertThat(ChatDeliveryTest.seqsSeen(sender, room)).containsExactlyElementsOf(ChatDeliveryTest.range(1, total));
            }
            List<Long> latencies = new ArrayList<>();
            for (ChatClient.Received r : reader.all()) {
                if (r.json().get("type").asString().equals("message")) {
                    latencies.add(r.at() - sentAt.get(r.json().get("text").asString().substring(0, 7)));
                }
            }
            latencies.sort(null);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            System.out.printf("burst: p99 delivery to the reader %.1f ms, max %.1f ms%n", p99 / 1e6, latencies.getLast() / 1e6);
            assertThat(Duration.ofNanos(p99)).as("p99 delivery to the reader").isLessThan(Duration.ofSeconds(1));

            // the paused member was closed 1008 slow_consumer once about the bound waited for it: the
            // reader saw it leave after at least bound/frame messages, and not many more than the bound
            // plus what the kernel and one write buffer hold (16 KiB receive, 64 KiB send, both doubled by Linux)
            int frameBytes = BIG.getBytes(StandardCharsets.UTF_8).length + 100;
            List<ChatClient.Received> seen = reader.all();
            int beforeLeave = 0;
            for (ChatClient.Received r : seen) {
                JsonNode j = r.json();
                if (j.get("type").asString().equals("presence") && j.get("event").asString().equals("leave")
                        && j.get("user").asString().equals(pausedName)) {
                    break;
                }
                if (j.get("type").asString().equals("message")) {
                    beforeLeave++;
                }
            }
            assertThat(beforeLeave).as("messages to the room before the paused member left").isLessThan(total);
            assertThat(beforeLeave).isBetween(BOUND / frameBytes, (BOUND + 2 * (16 + 64) * 1024 + 32 * 1024) / frameBytes + 12);
            List<RawClient.Frame> frames = pausedFrames.get(60, TimeUnit.SECONDS);
            RawClient.Frame close = frames.getLast();
            assertThat(close.opcode()).as("the last frame the paused client got").isEqualTo(8);
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("slow_consumer");
            // what reached it is a prefix of the room's messages, whole frames, in order, none after the close
            List<Long> got = new ArrayList<>();
            for (RawClient.Frame f : frames) {
                if (f.opcode() == 1 && f.text().startsWith("{\"type\":\"message\"")) {
                    got.add(ChatClient.JSON.readTree(f.text()).get("seq").asLong());
                }
            }
            assertThat(got).isNotEmpty().containsExactlyElementsOf(ChatDeliveryTest.range(1, got.size()));
            assertThat(got.size()).isLessThan(beforeLeave);
        } finally {
            for (ChatClient c : concat(senders, reader)) {
                c.close();
            }
            paused.close();
        }
    }

    @Test
    void aClientPausedBelowTheBoundIsKeptAndThenGetsEverything() throws Exception {
        String room = id("pause-");
        String pausedName = id("Napper");
        ChatClient sender = ChatClient.welcomed(port, id("S"));
        RawClient paused = RawClient.connect(port, pausedName, 16 * 1024);
        try {
            sender.joined(room);
            paused.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            await().atMost(ChatClient.WAIT).until(() -> ChatDeliveryTest.count(sender, "presence") == 1);
            int count = 60; // ~730 KB: beyond the kernel's buffers, below the bound
            for (int i = 0; i < count; i++) { // within the rate limit's burst of 100
                sender.say(room, String.format("%04d ", i) + BIG, null);
            }
            await().atMost(ChatClient.WAIT).until(() -> ChatDeliveryTest.count(sender, "ack") == count);
            assertThat(node.whereis(Session.processName(pausedName))).as("the paused session").isPresent();
            List<Long> got = new ArrayList<>();
            List<String> types = new ArrayList<>();
            while (got.size() < count) {
                RawClient.Frame f = paused.read();
                assertThat(f.opcode()).as("a text frame, not a close").isEqualTo(1);
                JsonNode j = ChatClient.JSON.readTree(f.text());
                types.add(j.get("type").asString());
                if (j.get("type").asString().equals("message")) {
                    got.add(j.get("seq").asLong());
                    assertThat(j.get("text").asString()).isEqualTo(String.format("%04d ", got.size() - 1) + BIG);
                }
            }
            assertThat(types.subList(0, 2)).containsExactly("welcome", "joined");
            assertThat(got).containsExactlyElementsOf(ChatDeliveryTest.range(1, count));
            assertThat(node.whereis(Session.processName(pausedName))).isPresent();
        } finally {
            sender.close();
            paused.close();
        }
    }

    @Test
    void everyRecipientGetsTheSameBytesAsOneEncodingOfTheMessage() throws Exception {
        String room = id("same-");
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                RawClient c = RawClient.connect(port, id("Twin"), 64 * 1024);
                clients.add(c);
                assertThat(ChatClient.JSON.readTree(c.read().text()).get("type").asString()).isEqualTo("welcome");
                c.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
                assertThat(ChatClient.JSON.readTree(c.read().text()).get("type").asString()).isEqualTo("joined");
            }
            String text = "naïve ☃ 😀 " + "x".repeat(300); // past the 7-bit length, multi-byte
            clients.getFirst().sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + text + "\"}");
            List<byte[]> received = new ArrayList<>();
            for (RawClient c : clients.subList(1, clients.size())) { // the sender gets an ack, not its message
                while (true) {
                    RawClient.Frame f = c.read();
                    assertThat(f.text()).doesNotStartWith("{\"type\":\"error\"");
                    if (f.opcode() == 1 && f.text().startsWith("{\"type\":\"message\"")) {
                        received.add(f.raw());
                        break;
                    }
                }
            }
            // the stored frame, as the REST API serves it: a JSON array of the frames' exact texts
            String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://localhost:" + port + "/api/rooms/" + room + "/messages")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
            String json = body.substring(1, body.length() - 1);
            assertThat(ChatClient.JSON.readTree(json).get("text").asString()).isEqualTo(text);
            byte[] oneEncoding = WireFrame.text(json).toByteArray();
            for (byte[] r : received) {
                assertThat(r).isEqualTo(oneEncoding);
            }
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void theConnectorHoldsEverySessionPlusHeadroomForHttpAndSmallPerSocketBuffers() {
        var tomcat = ((org.springframework.boot.tomcat.TomcatWebServer) web.getWebServer()).getTomcat();
        var protocol = (org.apache.coyote.AbstractProtocol<?>) tomcat.getConnector().getProtocolHandler();
        // max-sessions 10,000 by default: server_full must come before the container stops accepting
        assertThat(protocol.getMaxConnections()).isEqualTo(10_000 + 1024);
        assertThat(tomcat.getConnector().getProperty("socket.appReadBufSize")).hasToString("512");
        assertThat(tomcat.getConnector().getProperty("socket.appWriteBufSize")).hasToString("512");
        assertThat(tomcat.getConnector().getProperty("socket.txBufSize")).hasToString(String.valueOf(64 * 1024));
    }

    private static List<ChatClient> concat(List<ChatClient> a, ChatClient b) {
        List<ChatClient> all = new ArrayList<>(a);
        all.add(b);
        return all;
    }
}
