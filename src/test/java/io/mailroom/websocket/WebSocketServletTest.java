package io.mailroom.websocket;

import static io.mailroom.websocket.ClientFrames.CONTINUATION;
import static io.mailroom.websocket.ClientFrames.PING;
import static io.mailroom.websocket.ClientFrames.TEXT;
import static io.mailroom.websocket.ClientFrames.bytes;
import static io.mailroom.websocket.ClientFrames.encode;
import static io.mailroom.websocket.ClientFrames.frame;
import static io.mailroom.websocket.ClientFrames.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport on a real embedded Tomcat (no Spring), driven by a client that writes every byte
 * by hand: the handshake and its refusals, echo, ping, both closing handshakes, the protocol errors
 * a server must close on, and the connection's end when a client just goes.
 */
@Timeout(60)
class WebSocketServletTest {
    private static final int LIMIT = 16384;
    private static final String RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    @TempDir
    static Path baseDir;

    private static Tomcat tomcat;
    private static WebSocketTransport transport;
    private static int port;
    private static final LinkedBlockingQueue<Recorder> opened = new LinkedBlockingQueue<>();

    private WsClient client;

    /** What one connection's listener heard; it echoes texts, and refuses as the chat does. */
    static final class Recorder implements WebSocketListener {
        final WebSocketConnection connection;
        final HandshakeRequest request;
        final List<String> texts = new CopyOnWriteArrayList<>();
        /** The thread that read each text. */
        final List<String> readers = new CopyOnWriteArrayList<>();
        final List<Integer> tooLarge = new CopyOnWriteArrayList<>();
        final AtomicInteger binaries = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        Recorder(WebSocketConnection connection, HandshakeRequest request) {
            this.connection = connection;
            this.request = request;
        }

        @Override
        public void onText(String text) {
            if (text.equals("boom")) {
                throw new IllegalStateException("a listener bug, on purpose");
            }
            texts.add(text);
            readers.add(Thread.currentThread().getName());
            connection.send(WireFrame.text(text));
        }

        @Override
        public void onPong() {}

        @Override
        public void onTooLarge(int limit) {
            tooLarge.add(limit);
            connection.close(1009, "frame_too_large");
        }

        @Override
        public void onBinary() {
            binaries.incrementAndGet();
            connection.close(1003, "unsupported");
        }

        @Override
        public void onClosed() {
            closed.incrementAndGet();
        }
    }

    @BeforeAll
    static void startTomcat() throws Exception {
        transport = new WebSocketTransport(new WebSocketSettings(LIMIT, 1 << 20, Duration.ofSeconds(60),
                Duration.ofSeconds(5), List.of("http://allowed.example")), f -> {});
        WebSocketEndpoint echo = (connection, request) -> {
            Recorder r = new Recorder(connection, request);
            opened.add(r);
            return r;
        };
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", baseDir.toAbsolutePath().toString());
        Tomcat.addServlet(context, "ws", new WebSocketServlet(transport, echo));
        context.addServletMappingDecoded("/ws", "ws");
        tomcat.getConnector(); // creates the default HTTP/1.1 connector on the port above
        tomcat.start();
        port = tomcat.getConnector().getLocalPort();
    }

    @AfterAll
    static void stopTomcat() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        transport.close();
    }

    @BeforeEach
    void connect() throws IOException {
        opened.clear();
        client = WsClient.connect(port);
    }

    /** Every way a test ends a connection lets the transport forget it. */
    @AfterEach
    void disconnect() throws IOException {
        client.close();
        await().atMost(Duration.ofSeconds(15)).until(() -> transport.openConnections().isEmpty());
    }

    private static String randomKey() {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Upgrades and returns the new connection's listener. */
    private Recorder upgrade() throws Exception {
        WsClient.Response r = client.handshake("/ws?user=ada", WsClient.upgradeHeaders(port, randomKey()));
        assertThat(r.status()).as(r.raw()).isEqualTo(101);
        Recorder rec = opened.poll(10, TimeUnit.SECONDS);
        assertThat(rec).as("the endpoint was told of the connection").isNotNull();
        return rec;
    }

    private WsClient.Frame readServerFrame() throws IOException {
        WsClient.Frame f = client.read();
        assertThat(f.masked()).as("server frames are unmasked").isFalse();
        assertThat(f.rsv()).isZero();
        assertThat(f.fin()).as("server frames are whole").isTrue();
        return f;
    }

    /** The listener was told the connection closed, once, and the transport forgot the connection. */
    private static void assertToldClosedOnce(Recorder rec) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> rec.closed.get() > 0 && !transport.openConnections().contains(rec.connection));
        assertThat(rec.closed).hasValue(1);
        assertThat(rec.connection.whenClosed()).isDone();
    }

    /** The server's close frame with {@code code}, and then the end of the TCP connection. */
    private void assertClosedWith(int code) throws IOException {
        WsClient.Frame close = readServerFrame();
        assertThat(close.opcode()).isEqualTo(0x8);
        assertThat(close.closeCode()).isEqualTo(code);
        assertThat(client.atEof()).as("the server closed the TCP connection after its close frame").isTrue();
    }

    // ---- the handshake

    @Test
    void a_handshake_is_answered_101_with_the_accept_key_of_rfc_6455() throws Exception {
        WsClient.Response r = client.handshake("/ws?user=ada&x=1", WsClient.upgradeHeaders(port, RFC_KEY));
        assertThat(r.status()).as(r.raw()).isEqualTo(101);
        assertThat(r.header("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(r.header("Upgrade")).isEqualToIgnoringCase("websocket");
        assertThat(r.header("Connection")).isEqualToIgnoringCase("upgrade");

        Recorder rec = opened.poll(10, TimeUnit.SECONDS);
        assertThat(rec).isNotNull();
        assertThat(rec.request.parameters()).isEqualTo(Map.of("user", "ada", "x", "1"));
        assertThat(rec.connection.isOpen()).isTrue();
        assertThat(transport.openConnections()).contains(rec.connection);
    }

    @Test
    void a_foreign_origin_is_refused_403_and_not_upgraded() throws Exception {
        Map<String, String> h = WsClient.upgradeHeaders(port, randomKey());
        h.put("Origin", "http://evil.example");
        WsClient.Response r = client.handshake("/ws", h);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.header("Sec-WebSocket-Accept")).isNull();
        assertThat(r.header("Upgrade")).isNull();
        assertThat(r.header("Content-Length")).isNotNull();
        assertThat(client.readBody(Integer.parseInt(r.header("Content-Length")))).contains("origin not allowed");
        assertThat(opened).isEmpty();
        assertThat(transport.openConnections()).isEmpty();
    }

    @Test
    void an_allowed_origin_is_upgraded() throws Exception {
        Map<String, String> h = WsClient.upgradeHeaders(port, randomKey());
        h.put("Origin", "http://allowed.example");
        assertThat(client.handshake("/ws", h).status()).isEqualTo(101);
    }

    @Test
    void the_servers_own_origin_is_upgraded() throws Exception {
        Map<String, String> h = WsClient.upgradeHeaders(port, randomKey());
        h.put("Origin", "http://localhost:" + port);
        assertThat(client.handshake("/ws", h).status()).isEqualTo(101);
    }

    @Test
    void version_12_is_refused_426_naming_version_13() throws Exception {
        Map<String, String> h = WsClient.upgradeHeaders(port, randomKey());
        h.put("Sec-WebSocket-Version", "12");
        WsClient.Response r = client.handshake("/ws", h);
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.header("Sec-WebSocket-Version")).isEqualTo("13");
        assertThat(r.header("Sec-WebSocket-Accept")).isNull();
        assertThat(opened).isEmpty();
    }

    @Test
    void a_post_is_refused_405_allowing_get() throws Exception {
        Map<String, String> h = WsClient.upgradeHeaders(port, randomKey());
        h.put("Content-Length", "0");
        WsClient.Response r = client.request("POST", "/ws", h);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("GET");
        assertThat(r.header("Sec-WebSocket-Accept")).isNull();
        assertThat(opened).isEmpty();
    }

    // ---- messages

    @Test
    void a_listener_that_throws_ends_only_its_connection_with_1011() throws Exception {
        Recorder rec = upgrade();
        client.sendText("boom");
        assertClosedWith(1011);
        assertToldClosedOnce(rec);
        // the container and the transport carry on
        client.close();
        client = WsClient.connect(port);
        upgrade();
        client.sendText("still here");
        assertThat(readServerFrame().text()).isEqualTo("still here");
    }

    @Test
    void a_text_message_is_echoed() throws Exception {
        Recorder rec = upgrade();
        client.sendText("hello 😀 é");
        WsClient.Frame f = readServerFrame();
        assertThat(f.opcode()).isEqualTo(TEXT);
        assertThat(f.text()).isEqualTo("hello 😀 é");
        assertThat(rec.texts).containsExactly("hello 😀 é");
    }

    @Test
    void messages_up_to_the_limit_are_echoed_in_order() throws Exception {
        upgrade();
        String big = "€".repeat(LIMIT / 3) + "a"; // exactly 16384 bytes
        List<String> sent = List.of("one", "x".repeat(200), big, "");
        for (String s : sent) {
            client.sendText(s);
        }
        for (String s : sent) {
            assertThat(readServerFrame().text()).isEqualTo(s);
        }
    }

    // ---- reading: Tomcat's first read event, then the transport's reader

    @Test
    void frames_sent_with_the_handshake_are_read_whole_and_in_order() throws Exception {
        List<String> sent = List.of("one", "two", "é".repeat(3000));
        byte[] frames = ClientFrames.concat(ClientFrames.text(sent.get(0)), ClientFrames.text(sent.get(1)),
                ClientFrames.text(sent.get(2)));
        WsClient.Response r = client.handshake("/ws?user=ada", WsClient.upgradeHeaders(port, randomKey()), frames);
        assertThat(r.status()).as(r.raw()).isEqualTo(101);
        for (String s : sent) {
            assertThat(readServerFrame().text()).isEqualTo(s);
        }
    }

    @Test
    void after_the_first_read_a_plain_socket_is_read_by_the_transports_reader() throws Exception {
        Recorder rec = upgrade();
        // the first read event may still be reading on Tomcat's thread while the echoes go back and forth
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            client.sendText("hello");
            readServerFrame();
            return rec.readers.getLast().equals("websocket-reader");
        });
        int before = rec.readers.size();
        for (int i = 0; i < 20; i++) {
            client.sendText("again " + i);
            assertThat(readServerFrame().text()).isEqualTo("again " + i);
        }
        assertThat(rec.readers.subList(before, rec.readers.size())).hasSize(20).containsOnly("websocket-reader");
    }

    @Test
    void a_burst_of_many_reading_rounds_is_read_whole_and_in_order() throws Exception {
        upgrade();
        // 60 frames of 10,000 bytes in one write: 600 KB, read 64 KiB a round; what a round leaves, the next takes
        List<byte[]> frames = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            frames.add(ClientFrames.text(String.format("%04d", i) + "x".repeat(9996)));
        }
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                client.write(ClientFrames.concat(frames.toArray(byte[][]::new)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        for (int i = 0; i < 60; i++) {
            String text = readServerFrame().text();
            assertThat(text).hasSize(10_000).startsWith(String.format("%04d", i));
        }
        writer.join(10_000);
    }

    @Test
    void a_fragmented_message_is_echoed_whole() throws Exception {
        Recorder rec = upgrade();
        byte[] ö = utf8("ö");
        client.write(ClientFrames.concat(
                frame(false, TEXT, utf8("Hel")),
                frame(false, CONTINUATION, utf8("lo w")),
                frame(false, CONTINUATION, new byte[] {ö[0]}),
                frame(true, CONTINUATION, ClientFrames.concat(new byte[] {ö[1]}, utf8("rld")))));
        WsClient.Frame f = readServerFrame();
        assertThat(f.opcode()).isEqualTo(TEXT);
        assertThat(f.text()).isEqualTo("Hello wörld");
        assertThat(rec.texts).containsExactly("Hello wörld");
    }

    @Test
    void a_ping_is_answered_with_a_pong_of_the_same_payload() throws Exception {
        upgrade();
        client.write(frame(true, PING, utf8("are you there?")));
        WsClient.Frame pong = readServerFrame();
        assertThat(pong.opcode()).isEqualTo(0xA);
        assertThat(pong.text()).isEqualTo("are you there?");
    }

    // ---- closing

    @Test
    void a_client_close_is_answered_with_the_same_code_and_then_the_server_closes_the_tcp_connection() throws Exception {
        Recorder rec = upgrade();
        client.write(ClientFrames.close(1000, "done"));
        WsClient.Frame close = readServerFrame();
        assertThat(close.opcode()).isEqualTo(0x8);
        assertThat(close.payload()).containsExactly(0x03, 0xE8);
        assertThat(client.atEof()).isTrue();
        assertToldClosedOnce(rec);
    }

    @Test
    void a_client_close_without_a_code_is_answered_1000() throws Exception {
        Recorder rec = upgrade();
        client.write(frame(true, ClientFrames.CLOSE, new byte[0]));
        WsClient.Frame close = readServerFrame();
        assertThat(close.opcode()).isEqualTo(0x8);
        assertThat(close.payload()).containsExactly(0x03, 0xE8);
        assertThat(client.atEof()).isTrue();
        assertToldClosedOnce(rec);
    }

    @Test
    void a_client_that_goes_without_a_close_frame_is_forgotten_and_its_listener_told_once() throws Exception {
        Recorder rec = upgrade();
        client.sendText("bye");
        assertThat(readServerFrame().text()).isEqualTo("bye");
        assertThat(transport.openConnections()).containsExactly(rec.connection);

        client.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> transport.openConnections().isEmpty());
        assertToldClosedOnce(rec);
        assertThat(rec.connection.isOpen()).isFalse();
        assertThat(rec.connection.send(WireFrame.text("too late"))).isFalse();
    }

    @Test
    void a_message_over_16384_bytes_is_reported_too_large_and_the_endpoint_closes_1009() throws Exception {
        Recorder rec = upgrade();
        client.sendText("x".repeat(LIMIT + 1));
        WsClient.Frame close = readServerFrame();
        assertThat(close.opcode()).isEqualTo(0x8);
        assertThat(close.closeCode()).isEqualTo(1009);
        assertThat(close.closeReason()).isEqualTo("frame_too_large");
        assertThat(rec.tooLarge).containsExactly(LIMIT);
        assertThat(rec.texts).isEmpty();

        client.write(ClientFrames.close(1009, "")); // the client completes the closing handshake
        assertThat(client.atEof()).isTrue();
        assertToldClosedOnce(rec);
    }

    @Test
    void a_binary_message_is_reported_and_the_endpoint_closes_1003() throws Exception {
        Recorder rec = upgrade();
        client.write(frame(true, ClientFrames.BINARY, bytes(1, 2, 3)));
        WsClient.Frame close = readServerFrame();
        assertThat(close.closeCode()).isEqualTo(1003);
        assertThat(rec.binaries).hasValue(1);
        client.write(ClientFrames.close(1003, ""));
        assertThat(client.atEof()).isTrue();
        assertToldClosedOnce(rec);
    }

    @Test
    void an_unmasked_frame_is_closed_1002_then_the_tcp_connection_ends() throws Exception {
        Recorder rec = upgrade();
        client.write(encode(0x81, utf8("not masked"), null));
        assertClosedWith(1002);
        assertThat(rec.texts).isEmpty();
        assertToldClosedOnce(rec);
    }

    @Test
    void invalid_utf8_is_closed_1007_then_the_tcp_connection_ends() throws Exception {
        Recorder rec = upgrade();
        client.write(frame(true, TEXT, bytes(0xC3, 0x28)));
        assertClosedWith(1007);
        assertThat(rec.texts).isEmpty();
        assertToldClosedOnce(rec);
    }
}
