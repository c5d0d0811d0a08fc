package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mailroom.process.Node;
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
 * framing, or arbitrary bytes). The server never closes with 1011; on a connection the contract does
 * not close, every text frame got exactly one answer ({@code joined}, {@code left}, {@code ack} or
 * {@code error}: protocol.md §1 has no frame that goes unanswered) and every ping a pong, and a join
 * afterwards is still answered (its session process is alive); every session ends with
 * the socket; and two new clients still chat. History is kept short so no answer grows without bound,
 * and the process table does not grow either: no session process outlives its socket, and the only
 * processes beyond the node's own are the rooms of this test's few names (checked after every input,
 * so a leak of one process per input fails within a few inputs of a fuzzing run).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.history-size=3"})
class SessionFuzzTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final String[] ROOMS = {"fz-a", "fz-b", "fz-c", "BAD", "", "x".repeat(40)};
    /** Every room an input can bring to life: the valid ones of {@link #ROOMS}, and the two below. */
    private static final int MAX_ROOMS = ROOMS.length + 2;
    /** The node's processes before the first input: the bound for all later ones, with {@link #MAX_ROOMS}. */
    private static volatile int processesAtStart = -1;

    @LocalServerPort
    int port;

    @Autowired
    SessionDirectory directory;

    @Autowired
    Node node;

    @FuzzTest(maxDuration = "2m")
    void frameSequences(FuzzedDataProvider data) throws IOException {
        try (SilentCloseable local = BugDetectors.allowNetworkConnections((host, p) -> host.equals("localhost") && p == port)) {
            run(data);
        }
    }

    private void run(FuzzedDataProvider data) throws IOException {
        if (processesAtStart < 0) {
            processesAtStart = processes(name -> true);
        }
        int baseline = directory.count();
        int sessionProcesses = processes(name -> name.startsWith("session:"));
        try (RawClient c = RawClient.connect(port, "Fz" + IDS.incrementAndGet(), 256 * 1024)) {
            c.timeout(10_000);
            assertThat(c.read().text()).contains("\"welcome\"");
            boolean closing = false;
            int texts = 0;
            int pings = 0;
            int ops = data.consumeInt(0, 12);
            for (int i = 0; i < ops && !closing; i++) {
                int op = data.consumeInt(0, 9);
                if (op <= 6) {
                    texts++;
                } else if (op == 7) {
                    pings++;
                }
                switch (op) {
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
                // the session is alive: it still answers (not necessarily last: answers that need a
                // room come when that room answers, and the contract orders only a room's own seqs)
                c.sendText("{\"type\":\"join\",\"room\":\"fz-alive\",\"ref\":\"alive\"}");
            }
            Ending end = readToEnd(c, !closing, texts + 1);
            int close = end.close();
            assertThat(close).as("the server's close code").isNotEqualTo(1011);
            if (!closing) {
                assertThat(close).as("a connection the contract does not close").isEqualTo(-1);
                assertThat(end.answers()).as("answers to %d text frames and the sentinel join", texts).isEqualTo(texts + 1);
                assertThat(end.pongs()).as("pongs to %d pings", pings).isEqualTo(pings);
            } else if (close > 0) {
                assertThat(close).isIn(1002, 1003, 1007, 1008, 1009);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> directory.count() <= baseline
                && processes(name -> name.startsWith("session:")) <= sessionProcesses);
        stillChats();
        await("the process table within its bound").atMost(Duration.ofSeconds(10))
                .until(() -> processes(name -> name.startsWith("session:")) <= sessionProcesses
                        && processes(name -> true) <= processesAtStart + MAX_ROOMS);
    }

    /** Live processes whose registered name (empty for none) passes {@code which}. */
    private int processes(java.util.function.Predicate<String> which) {
        int[] n = {0};
        node.forEachProcess(p -> {
            String name = p.registeredName();
            if (which.test(name == null ? "" : name)) {
                n[0]++;
            }
        });
        return n[0];
    }

    /**
     * How a connection's reading ended: the close code (-1: the sentinel join was answered; 0: the
     * socket went without a close frame), the answers to the client's own text frames (the
     * sentinel's included) and the pongs seen before that.
     */
    private record Ending(int close, int answers, int pongs) {}

    /**
     * Reads until the close frame, or, when {@code alive}, until the sentinel join and {@code
     * expected} answers in all have come (or the socket's timeout passes after the sentinel's, with
     * fewer). Any other frame must be JSON with a type; {@code presence} and {@code message} are not
     * answers (another member's doing, e.g. a previous input's session still leaving a room).
     */
    private static Ending readToEnd(RawClient c, boolean alive, int expected) throws IOException {
        int answers = 0;
        int pongs = 0;
        boolean sentinel = false;
        while (true) {
            RawClient.Frame f;
            try {
                f = c.read();
            } catch (java.io.EOFException | java.net.SocketException e) {
                return new Ending(0, answers, pongs); // the socket went (after arbitrary bytes, say) without a close frame reaching us
            } catch (java.net.SocketTimeoutException e) {
                if (alive && sentinel) {
                    return new Ending(-1, answers, pongs); // some answer never came: the caller's count says so
                }
                if (alive) {
                    throw e;
                }
                return new Ending(0, answers, pongs); // arbitrary bytes that began a frame: the server rightly waits for its end
            }
            if (f.opcode() == 8) {
                return new Ending(f.closeCode(), answers, pongs);
            }
            if (f.opcode() == 0xA) {
                pongs++;
                continue;
            }
            if (f.opcode() != 1) {
                continue;
            }
            JsonNode json = ChatClient.JSON.readTree(f.text());
            assertThat(json.path("type").isString()).as("frame %s", f.text()).isTrue();
            if (json.path("type").asString().equals("error")) {
                assertThat(json.path("code").asString()).isNotIn("internal", "internal_error");
            }
            String type = json.path("type").asString();
            if (!type.equals("presence") && !type.equals("message")) {
                assertThat(type).as("an answer to a client frame: %s", f.text()).isIn("joined", "left", "ack", "error");
                answers++;
            }
            sentinel |= type.equals("joined") && json.path("room").asString().equals("fz-alive");
            if (alive && sentinel && answers >= expected) {
                return new Ending(-1, answers, pongs);
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
