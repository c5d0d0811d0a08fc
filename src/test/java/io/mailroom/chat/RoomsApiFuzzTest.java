package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mailroom.web.ApiFuzzing;
import io.mailroom.web.ApiFuzzing.Answer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The rooms API (protocol.md §2) under fuzzer-chosen requests through the real HTTP stack
 * (docs/reliability.md, "Fuzzing"): any room name, any {@code since} and {@code limit} (the edges
 * of 64 bits, past them, signs, spaces, repeats, garbage). Never a 5xx, every 4xx problem+json
 * (checked in {@link ApiFuzzing#check}); and what a valid request gets is exact: the room that has
 * messages answers with seqs after {@code since}, oldest first, at most {@code limit}, all of them
 * stored; a limit outside 1–1000 or a non-integer is 400.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RoomsApiFuzzTest {
    /** A room with {@link #STORED} messages, posted once over a real socket before the first input. */
    private static final String ROOM = "fz-rooms";
    private static final int STORED = 5;
    private static volatile boolean seeded;

    @LocalServerPort
    int port;

    @FuzzTest(maxDuration = "2m")
    void requests(FuzzedDataProvider data) {
        try (SilentCloseable local = BugDetectors.allowNetworkConnections(
                (host, p) -> (host.equals("127.0.0.1") || host.equals("localhost")) && p == port)) {
            seed();
            run(new ApiFuzzing(port), data);
        }
    }

    private void seed() {
        if (seeded) {
            return;
        }
        try (ChatClient c = ChatClient.welcomed(port, "FzRooms")) {
            c.joined(ROOM);
            for (int i = 1; i <= STORED; i++) {
                c.say(ROOM, "m" + i, null);
                c.expect("ack");
            }
        }
        seeded = true;
    }

    private void run(ApiFuzzing api, FuzzedDataProvider data) {
        int ops = data.consumeInt(1, 6);
        for (int i = 0; i < ops; i++) {
            String room = data.consumeBoolean() ? ROOM : ApiFuzzing.name(data);
            String path = "/api/rooms/" + ApiFuzzing.encode(room);
            switch (data.consumeInt(0, 3)) {
                case 0 -> api.send("GET", "/api/rooms", null);
                case 1 -> {
                    Answer a = api.send("GET", path, null);
                    if (room.equals(ROOM)) {
                        assertThat(a.status()).as(a.request()).isEqualTo(200);
                        assertThat(a.json().get("lastSeq").asLong()).as(a.request()).isEqualTo(STORED);
                    }
                }
                default -> {
                    String since = data.consumeBoolean() ? null : ApiFuzzing.number(data);
                    String limit = data.consumeBoolean() ? null : ApiFuzzing.number(data);
                    StringBuilder q = new StringBuilder();
                    if (since != null) {
                        q.append("since=").append(ApiFuzzing.encode(since));
                    }
                    if (limit != null) {
                        q.append(q.isEmpty() ? "" : "&").append("limit=").append(ApiFuzzing.encode(limit));
                    }
                    Answer a = api.send("GET", path + "/messages" + (q.isEmpty() ? "" : "?" + q), null);
                    if (room.equals(ROOM)) {
                        expectMessages(a, since, limit);
                    }
                }
            }
        }
        assertThat(api.send("GET", "/api/rooms/" + ROOM, null).status()).as("the service still answers").isEqualTo(200);
    }

    /** The contract's answer for the seeded room, whose seqs are 1..STORED. */
    private static void expectMessages(Answer a, String since, String limit) {
        Long after = since == null ? null : parse(since);
        Long count = limit == null ? Long.valueOf(50) : parse(limit);
        if ((since != null && after == null) || count == null || count < 1 || count > 1000) {
            assertThat(a.status()).as(a.request()).isEqualTo(400);
            return;
        }
        assertThat(a.status()).as(a.request()).isEqualTo(200);
        JsonNode page = a.json();
        long first = after == null ? Math.max(1, STORED - count + 1) : Math.max(1, after + 1);
        long expected = after != null && after >= STORED ? 0 : Math.min(count, STORED - first + 1);
        assertThat(page.size()).as(a.request() + " " + a.body()).isEqualTo((int) Math.max(0, expected));
        for (int i = 0; i < page.size(); i++) {
            assertThat(page.get(i).get("seq").asLong()).as(a.request()).isEqualTo(first + i);
        }
    }

    /** As the controller reads {@code since} and {@code limit}: a 64-bit integer, white space around allowed. */
    private static Long parse(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
