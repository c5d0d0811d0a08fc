package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transport's keep-alive, on a real Tomcat: every connection is pinged once per interval; a
 * peer that answers (or sends anything) stays; one that sends nothing between two pings is closed
 * 1001 {@code ping timeout} and its listener told at once.
 */
@Timeout(60)
class KeepAliveTest {
    private static final Duration INTERVAL = Duration.ofMillis(500); // room for a loaded machine: an answer must come within one

    private Tomcat tomcat;
    private WebSocketTransport transport;
    /** Each connection's count of onClosed, by its {@code who} parameter (connections may open in either order). */
    private final Map<String, AtomicInteger> closes = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        transport = new WebSocketTransport(new WebSocketSettings(16384, 1 << 20, Duration.ofSeconds(60),
                Duration.ofSeconds(5), List.of(), INTERVAL), f -> { });
        WebSocketEndpoint endpoint = (connection, request) -> {
            AtomicInteger closed = new AtomicInteger();
            closes.put(request.parameter("who"), closed);
            return new WebSocketListener() {
                @Override public void onText(String text) { }
                @Override public void onPong() { }
                @Override public void onTooLarge(int limit) { }
                @Override public void onBinary() { }
                @Override public void onClosed() { closed.incrementAndGet(); }
            };
        };
        tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("ws-keepalive").toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "ws", new WebSocketServlet(transport, endpoint));
        context.addServletMappingDecoded("/ws", "ws");
        tomcat.getConnector();
        tomcat.start();
    }

    @AfterEach
    void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        transport.close();
    }

    @Test
    void a_peer_that_answers_pings_stays_and_one_that_does_not_is_closed_1001_ping_timeout() throws Exception {
        int port = tomcat.getConnector().getLocalPort();
        try (WsClient alive = WsClient.upgraded(port, "/ws?who=alive", 0); WsClient mute = WsClient.upgraded(port, "/ws?who=mute", 0)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> closes.size() == 2);
            // one answers every ping, for eight intervals, on its own thread
            var answering = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                long deadline = System.nanoTime() + 8 * INTERVAL.toNanos();
                int pings = 0;
                try {
                    while (System.nanoTime() < deadline) {
                        WsClient.Frame f = alive.read();
                        if (f.opcode() != 0x9) {
                            throw new AssertionError("not a ping: opcode " + f.opcode());
                        }
                        pings++;
                        alive.write(ClientFrames.frame(true, 0xA, f.payload()));
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return pings;
            });
            // the other reads its frames but answers nothing: a ping, then the close
            WsClient.Frame ping = mute.read();
            assertThat(ping.opcode()).isEqualTo(0x9);
            WsClient.Frame close = mute.read();
            assertThat(close.opcode()).isEqualTo(0x8);
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(close.closeReason()).isEqualTo("ping timeout");
            await().atMost(Duration.ofSeconds(5)).until(() -> closes.get("mute").get() == 1);
            assertThat(answering.get(30, java.util.concurrent.TimeUnit.SECONDS)).isGreaterThanOrEqualTo(4);
            assertThat(closes.get("alive")).hasValue(0);
            assertThat(mute.atEof()).as("the dead peer's socket is closed once the close frame is out").isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> transport.openConnections().size() == 1);
        }
    }
}
