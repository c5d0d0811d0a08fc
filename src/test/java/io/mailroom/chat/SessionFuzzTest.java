package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * A session of the real service under a fuzzer-chosen sequence of frames over a real socket
 * (docs/reliability.md, "Fuzzing"): valid joins, leaves and sends, JSON garbage, deep nesting, huge
 * numbers, pings, and, last, what the contract closes for (binary, oversize, invalid UTF-8, broken
 * framing, or arbitrary bytes). The server never closes with 1011; a connection the contract does
 * not close still answers a join afterwards (its session process is alive); every session ends with
 * the socket; and two new clients still chat. History is kept short so no answer grows without bound.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.history-size=3"})
class SessionFuzzTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final String[] ROOMS = {"fz-a", "fz-b", "fz-c", "BAD", "", "x".repeat(40)};

    @LocalServerPort
    int port;

    @Autowired
    SessionDirectory directory;

    @FuzzTest(maxDuration = "2m")
    void frameSequences(FuzzedDataProvider data) throws IOException {
        try (SilentCloseable local = BugDetectors.allowNetworkConnections((host, p) -> host.equals("localhost") && p == port)) {
            run(data);
        }
    }

    private void run(FuzzedDataProvider data) throws IOException {
        int baseline = directory.count();
        try (RawClient c = RawClient.connect(port, "Fz" + IDS.incrementAndGet(), 256 * 1024)) {
            c.timeout(10_000);
            assertThat(c.read().text()).contains("\"welcome\"");
            boolean closing = false;
            int ops = data.consumeInt(0, 12);
            for (int i = 0; i < ops && !closing; i++) {
                switch (data.consumeInt(0, 9)) {
                    case 0 -> c.sendText(join(data));
                    case 1 -> c.sendText("{\"type\":\"leave\",\"room\":\"" + data.pickValue(ROOMS) + "\"}");
                    case 2 -> c.sendText("{\"type\":\"send\",\"room\":\"" + data.pickValue(ROOMS) + "\",\"text\":"
                            + json(data.consumeString(data.consumeBoolean() ? 20 : 4100)) + ",\"ref\":"
                            + json(data.consumeString(70)) + "}");
                    case 3 -> c.sendText(data.consumeString(200)); // anything, as text
                    case 4 -> c.sendText("{\"type\":\"join\",\"room\":\"fz-a\",\"since\":" + "[".repeat(data.consumeInt(1, 2000)) + "}");
                    case 5 -> c.sendText("{\"type\":\"join\",\"room\":\"fz-a\",\"since\":" + "9".repeat(data.consumeInt(19, 2000)) + "}");
                    case 6 -> c.sendText("{\"type\":\"send\",\"room\":\"fz-a\",\"text\":\"\\ud800" + "\",\"ref\":\"\\udc00\"}");
                    case 7 -> c.sendRaw(frame(0x9, data.consumeBytes(data.consumeInt(0, 125)))); // ping
                    default -> {
                        closing = true;
                        c.sendRaw(switch (data.consumeInt(0, 4)) {
                            case 0 -> frame(0x2, data.consumeBytes(10)); // binary: 1003
                            case 1 -> frame(0x1, "x".repeat(16_385).getBytes(StandardCharsets.UTF_8)); // 1009
                            case 2 -> frame(0x1, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}); // 1007
                            case 3 -> frame(0x1 | 0x40, new byte[] {'x'}); // reserved bit: 1002
                            default -> data.consumeBytes(600); // anything at all
                        });
                        c.timeout(2_000); // arbitrary bytes may be the start of a frame: the server waits for the rest
                    }
                }
            }
            if (!closing) {
                // the session is alive: it still answers, and in order, so this join's answer is the last one
                c.sendText("{\"type\":\"join\",\"room\":\"fz-alive\",\"ref\":\"alive\"}");
            }
            int close = readToEnd(c, !closing);
            assertThat(close).as("the server's close code").isNotEqualTo(1011);
            if (!closing) {
                assertThat(close).as("a connection the contract does not close").isEqualTo(-1);
            } else if (close > 0) {
                assertThat(close).isIn(1002, 1003, 1007, 1008, 1009);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> directory.count() <= baseline);
        stillChats();
    }

    /**
     * Reads until the close frame (its code), or, when {@code alive}, until the answer to the
     * sentinel join (-1). Any other frame must be JSON with a type.
     */
    private static int readToEnd(RawClient c, boolean alive) throws IOException {
        while (true) {
            RawClient.Frame f;
            try {
                f = c.read();
            } catch (java.io.EOFException | java.net.SocketException e) {
                return 0; // the socket went (after arbitrary bytes, say) without a close frame reaching us
            } catch (java.net.SocketTimeoutException e) {
                if (alive) {
                    throw e;
                }
                return 0; // arbitrary bytes that began a frame: the server rightly waits for its end
            }
            if (f.opcode() == 8) {
                return f.closeCode();
            }
            if (f.opcode() != 1) {
                continue; // pong
            }
            JsonNode json = ChatClient.JSON.readTree(f.text());
            assertThat(json.path("type").isString()).as("frame %s", f.text()).isTrue();
            if (json.path("type").asString().equals("error")) {
                assertThat(json.path("code").asString()).isNotIn("internal", "internal_error");
            }
            if (alive && json.path("type").asString().equals("joined") && json.path("room").asString().equals("fz-alive")) {
                return -1;
            }
        }
    }

    private void stillChats() throws IOException {
        try (RawClient a = RawClient.connect(port, "FzA" + IDS.incrementAndGet(), 256 * 1024);
             RawClient b = RawClient.connect(port, "FzB" + IDS.incrementAndGet(), 256 * 1024)) {
            a.read();
            b.read();
            a.sendText("{\"type\":\"join\",\"room\":\"fz-after\"}");
            assertThat(a.read().text()).contains("\"joined\"");
            b.sendText("{\"type\":\"join\",\"room\":\"fz-after\"}");
            assertThat(b.read().text()).contains("\"joined\"");
            a.sendText("{\"type\":\"send\",\"room\":\"fz-after\",\"text\":\"still here\"}");
            while (true) {
                String t = b.read().text();
                if (t.contains("\"message\"")) {
                    assertThat(t).contains("still here");
                    break;
                }
            }
        }
    }

    private static String join(FuzzedDataProvider data) {
        String since = switch (data.consumeInt(0, 3)) {
            case 0 -> "";
            case 1 -> ",\"since\":" + data.consumeLong();
            case 2 -> ",\"since\":" + Long.MAX_VALUE;
            default -> ",\"since\":\"" + data.consumeInt() + "\"";
        };
        return "{\"type\":\"join\",\"room\":\"" + data.pickValue(ROOMS) + "\"" + since + "}";
    }

    /** {@code s} as a JSON string, lone surrogates escaped (the wire is UTF-8, so they go as \\uXXXX). */
    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** A whole masked frame with {@code b0}'s opcode and bits, FIN set. */
    private static byte[] frame(int b0, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | b0);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else {
            f.write(0x80 | 126);
            f.write(n >> 8);
            f.write(n);
        }
        byte[] mask = {1, 2, 3, 4};
        f.writeBytes(mask);
        for (int i = 0; i < n; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }
}
