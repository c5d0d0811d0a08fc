package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.chat.web.RoomsController;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The room epoch of contract v1.1 on one node: every {@code joined} names it, REST tells it, and
 * it stays while the room's seqs continue: across joins, a crash of the room's process, and the
 * room's process stopping when idle. (A node restart, which starts seqs again under a new epoch, is
 * {@code ui.ChatRestartPageTest}.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.room-idle-timeout=200ms"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatEpochTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    static String id(String base) {
        return base + IDS.incrementAndGet();
    }

    @Test
    void theEpochStaysWhileSeqsContinueThroughACrashAndAnIdleStop() {
        String room = id("epoch-");
        try (ChatClient a = ChatClient.welcomed(port, id("Ada"))) {
            JsonNode first = a.joined(room);
            String epoch = first.get("epoch").asString();
            assertThat(epoch).isNotBlank();
            assertThat(a.say(room, "one", null).expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(a.joined(room).get("epoch").asString()).isEqualTo(epoch);
            assertThat(a.send(Map.of("type", "join", "room", room, "since", 0)).expect("joined")
                    .get("epoch").asString()).isEqualTo(epoch);

            // REST: the room and a messages page name the same epoch; the body stays an array
            Rest.Answer detail = Rest.get(port, "/api/rooms/" + room);
            assertThat(detail.body().get("epoch").asString()).isEqualTo(epoch);
            Rest.Answer page = Rest.get(port, "/api/rooms/" + room + "/messages?since=0");
            assertThat(page.body().isArray()).isTrue();
            assertThat(page.header(RoomsController.EPOCH)).isEqualTo(epoch);
            assertThat(page.header(RoomsController.MORE)).isNull();

            // the room's process crashes: history, seq and epoch survive
            Pid<?> before = node.whereis(Room.processName(room)).orElseThrow();
            node.exit(before, ExitReason.of("boom"));
            await().atMost(ChatClient.WAIT).until(() -> node.whereis(Room.processName(room))
                    .filter(p -> p != before).isPresent());
            assertThat(a.say(room, "two", null).expect("ack").get("seq").asLong()).isEqualTo(2);
            JsonNode afterCrash = a.send(Map.of("type", "join", "room", room, "since", 0)).expect("joined");
            assertThat(afterCrash.get("epoch").asString()).isEqualTo(epoch);
            assertThat(ChatLimitsTest.seqs(afterCrash.get("history"))).containsExactly(1L, 2L);

            // everyone leaves and the process stops when idle: the log stays (it stores messages), so does the epoch
            a.leave(room).expect("left");
            Pid<?> idle = node.whereis(Room.processName(room)).orElseThrow();
            await().atMost(ChatClient.WAIT).until(() -> !idle.isAlive());
            JsonNode back = a.send(Map.of("type", "join", "room", room, "since", 2)).expect("joined");
            assertThat(back.get("epoch").asString()).isEqualTo(epoch);
            assertThat(back.get("history")).isEmpty();
            assertThat(a.say(room, "three", null).expect("ack").get("seq").asLong()).isEqualTo(3);
        }
    }

    @Test
    void differentRoomsHaveTheirOwnEpochs() {
        try (ChatClient a = ChatClient.welcomed(port, id("Bob"))) {
            String one = a.joined(id("own-")).get("epoch").asString();
            String two = a.joined(id("own-")).get("epoch").asString();
            assertThat(one).isNotEqualTo(two);
        }
    }
}
