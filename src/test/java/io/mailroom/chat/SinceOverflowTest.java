package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * {@code since} at the top of the 64-bit range: there is nothing after it. It used to wrap round
 * ({@code since + 1} overflowed to the smallest long) and answer the oldest stored messages.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SinceOverflowTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Test
    void sinceTheLargestLongGivesNoMessagesOverRestOrInJoined() {
        String room = "overflow-" + IDS.incrementAndGet();
        try (ChatClient a = ChatClient.welcomed(port, "Max" + IDS.incrementAndGet())) {
            a.joined(room);
            for (int i = 1; i <= 3; i++) {
                a.say(room, "m" + i, null).expect("ack");
            }

            Rest.Answer top = Rest.get(port, "/api/rooms/" + room + "/messages?since=" + Long.MAX_VALUE);
            assertThat(top.status()).isEqualTo(200);
            assertThat(top.body().isArray()).isTrue();
            assertThat(top.body()).isEmpty();
            // the neighbours of the edge still answer as before
            assertThat(Rest.get(port, "/api/rooms/" + room + "/messages?since=" + (Long.MAX_VALUE - 1)).body()).isEmpty();
            assertThat(Rest.get(port, "/api/rooms/" + room + "/messages?since=3").body()).isEmpty();
            JsonNode after2 = Rest.get(port, "/api/rooms/" + room + "/messages?since=2").body();
            assertThat(after2).hasSize(1);
            assertThat(after2.get(0).get("seq").asLong()).isEqualTo(3);

            JsonNode joined = a.send(Map.of("type", "join", "room", room, "since", Long.MAX_VALUE)).expect("joined");
            assertThat(joined.get("history")).isEmpty();
            assertThat(joined.has("truncated")).isFalse();
        }
    }
}
