package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * The writer under contention, on a real Tomcat and real sockets: many threads send to many
 * connections at once while the clients read in fits and starts (small kernel buffers, so writes go
 * pending and their completions race the senders) and pings are requested throughout. A lost write
 * wake-up leaves a frame in a queue that nobody writes; a doubled writer interleaves two batches; a
 * frame cut wrong breaks the framing. Each shows here as a missing, repeated, reordered or
 * unparseable frame, or bytes left counted in a queue. The writers send in rounds and stop, and pings
 * stop with them, so a stranded frame has nothing to carry it out: the round does not complete.
 * (Checked: with the writer's re-check after releasing its role removed, this test fails.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebSocketConnectionStressTest {
    private static final int CONNECTIONS = 12;
    private static final int WRITERS = 6;
    private static final int ROUNDS = 300;
    private static final int FRAMES_PER_ROUND = 5;
    private static final int FRAMES_PER_WRITER = ROUNDS * FRAMES_PER_ROUND;

    private Tomcat tomcat;
    private WebSocketTransport transport;
    private final List<WebSocketConnection> connections = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void startTomcat() throws Exception {
        transport = new WebSocketTransport(new WebSocketSettings(16384, 256L << 20, Duration.ofSeconds(60),
                Duration.ofSeconds(5), List.of()), f -> { });
        WebSocketEndpoint endpoint = (connection, request) -> {
            connections.add(connection);
            return new WebSocketListener() {
                @Override public void onText(String text) { }
                @Override public void onPong() { }
                @Override public void onTooLarge(int limit) { }
                @Override public void onBinary() { }
                @Override public void onClosed() { }
            };
        };
        tomcat = new Tomcat();
        tomcat.setBaseDir(java.nio.file.Files.createTempDirectory("ws-stress").toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.getConnector().setProperty("socket.txBufSize", "8192"); // writes go pending often
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "ws", new WebSocketServlet(transport, endpoint));
        context.addServletMappingDecoded("/ws", "ws");
        tomcat.start();
    }

    @AfterEach
    void stopTomcat() throws Exception {
        threads.shutdownNow();
        tomcat.stop();
        tomcat.destroy();
        transport.close();
    }

    @RepeatedTest(4)
    void everyFrameArrivesOnceInEachWritersOrderAndNothingStaysQueued() throws Exception {
        int port = tomcat.getConnector().getLocalPort();
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            clients.add(Client.connect(port));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.size() == CONNECTIONS);

        List<CompletableFuture<Client>> reading = new ArrayList<>();
        for (Client c : clients) {
            reading.add(CompletableFuture.supplyAsync(() -> c.readAll(WRITERS * FRAMES_PER_WRITER + 1), threads));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean pinging = new AtomicBoolean();
        CompletableFuture<Void> pinger = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                if (pinging.get()) {
                    for (WebSocketConnection c : connections) {
                        c.ping();
                    }
                }
                Thread.onSpinWait();
            }
        }, threads);
        // rounds: the writers send at once, then stop; with no later send to carry it out, a frame
        // stranded by a lost wake-up stays in its queue and the round never completes
        for (int round = 0; round < ROUNDS; round++) {
            int first = round * FRAMES_PER_ROUND;
            pinging.set(true);
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(CompletableFuture.runAsync(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int seq = first; seq < first + FRAMES_PER_ROUND; seq++) {
                        // sizes from a few bytes to past one write buffer, so frames are split across batches
                        int pad = random.nextInt(8) == 0 ? random.nextInt(WebSocketTransport.BUFFER_SIZE + 5000) : random.nextInt(200);
                        String text = writer + ":" + seq + ":" + "é".repeat(pad / 2);
                        for (WebSocketConnection c : connections) {
                            assertThat(c.send(WireFrame.text(text))).isTrue();
                        }
                    }
                }, threads));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            pinging.set(false); // a ping would pump the queue too, and hide a stranded frame
            int expected = (round + 1) * FRAMES_PER_ROUND * WRITERS;
            for (Client c : clients) {
                await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                        .until(() -> c.error != null || c.received >= expected);
                assertThat(c.error).as("framing").isNull();
                assertThat(c.received).as("frames after round %d", round).isEqualTo(expected);
            }
        }
        running.set(false);
        pinger.get(10, TimeUnit.SECONDS);
        // one more frame after the storm: a writer role left taken would keep it from going out
        for (WebSocketConnection c : connections) {
            assertThat(c.send(WireFrame.text("end"))).isTrue();
        }
        for (CompletableFuture<Client> r : reading) {
            Client c = r.get(90, TimeUnit.SECONDS);
            assertThat(c.error).as("framing").isNull();
            for (int w = 0; w < WRITERS; w++) {
                assertThat(c.next[w]).as("frames from writer %d, in order, none twice", w).isEqualTo(FRAMES_PER_WRITER);
            }
            assertThat(c.last).isEqualTo("end");
            assertThat(c.pings).as("pings, each between whole frames").isPositive();
        }
        for (WebSocketConnection c : connections) {
            assertThat(c.queuedBytes()).isZero();
            assertThat(c.isOpen()).isTrue();
        }

        // a clean close: the close frame after everything queued, the peer's answer, then the socket closes
        for (WebSocketConnection c : connections) {
            c.send(WireFrame.text("last"));
            c.close(1000, "done");
        }
        for (Client c : clients) {
            WsClient.Frame f;
            do {
                f = c.read();
            } while (f.opcode() == 9);
            assertThat(f.text()).isEqualTo("last");
            f = c.read();
            assertThat(f.opcode()).isEqualTo(8);
            assertThat(f.closeCode()).isEqualTo(1000);
            c.ws.write(ClientFrames.close(1000, ""));
            assertThat(c.ws.atEof()).as("EOF once the handshake is done").isTrue();
            c.ws.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> transport.openConnections().isEmpty());
        connections.clear();
    }

    /** A client with a small receive buffer that reads in fits and starts, checking each writer's sequence. */
    private static final class Client {
        final WsClient ws;
        final int[] next = new int[WRITERS];
        volatile String error;
        volatile int received;
        String last;
        int pings;

        private Client(WsClient ws) {
            this.ws = ws;
        }

        static Client connect(int port) throws IOException {
            return new Client(WsClient.upgraded(port, "/ws", 8192));
        }

        WsClient.Frame read() throws IOException {
            WsClient.Frame f = ws.read();
            if (!f.fin() || f.rsv() != 0 || f.masked()) {
                throw new IOException("bad frame header: fin " + f.fin() + ", rsv " + f.rsv() + ", masked " + f.masked());
            }
            return f;
        }

        /** Reads {@code texts} text frames, checking each writer's sequence. */
        Client readAll(int texts) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try {
                for (int n = 0; n < texts; ) {
                    WsClient.Frame f = read();
                    if (f.opcode() == 9) {
                        pings++;
                        continue;
                    }
                    if (f.opcode() != 1) {
                        throw new IOException("unexpected opcode " + f.opcode());
                    }
                    n++;
                    received = n;
                    String text = f.text();
                    last = text;
                    if (text.equals("end")) {
                        continue;
                    }
                    String[] parts = text.split(":", 3);
                    int writer = Integer.parseInt(parts[0]);
                    int seq = Integer.parseInt(parts[1]);
                    if (seq != next[writer]) {
                        throw new IOException("writer " + writer + ": got " + seq + ", expected " + next[writer]);
                    }
                    next[writer]++;
                    if (random.nextInt(400) == 0) {
                        Thread.sleep(random.nextInt(1, 20)); // a pause: the server's writes go pending
                    }
                }
            } catch (Exception e) {
                error = e.toString();
            }
            return this;
        }
    }
}
