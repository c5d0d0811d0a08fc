package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.names.SupervisorNames;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.ChildInfo;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Sessions that join a room whose process has just been killed must race nothing: each one sees
 * the room's DOWN before the rooms supervisor has handled the same end, and a "start it" sent then
 * would start a second room process by the same name (and make the supervisor's own restart fail).
 * Every join must still end in {@code joined}, never an error, with one room process afterwards.
 * A guard for the look-up-or-start of the rooms supervisor (issue 12), which answers a start of a
 * room whose process has ended only once it has handled that end ({@code StartChildByNameTest});
 * {@code RoomRestartRaceTest} is its stress test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JoinDuringRoomRestartTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final int CLIENTS = 6;
    private static final int ROUNDS = 3;

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Test
    void everyJoinEndsJoinedWhileTheRoomIsKilledAndThereIsOneRoomProcess() throws Exception {
        String room = "restarting-" + IDS.incrementAndGet();
        List<ChatClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(ChatClient.welcomed(port, "Racer" + IDS.incrementAndGet()));
            }
            for (int round = 0; round < ROUNDS; round++) {
                Pid<Room.Msg> before = null;
                if (round > 0) {
                    before = node.<Room.Msg>whereis(Room.processName(room)).orElseThrow();
                    node.exit(before, ExitReason.crash(new IllegalStateException("killed by the test")));
                }
                for (ChatClient c : clients) {
                    c.leave(room).join(room); // round 0: the leave answers not_joined; skipped below
                }
                for (ChatClient c : clients) {
                    if (round == 0) {
                        c.expectError("not_joined");
                    } else {
                        c.skipTo(f -> f.get("type").asString().equals("left"));
                    }
                    c.skipTo(f -> {
                        String type = f.get("type").asString();
                        assertThat(type).as("frame %s", f).isNotEqualTo("error");
                        return type.equals("joined");
                    });
                }
                Pid<Room.Msg> after = node.<Room.Msg>whereis(Room.processName(room)).orElseThrow();
                assertThat(after.isAlive()).isTrue();
                if (before != null) {
                    assertThat(after).isNotEqualTo(before);
                }
                assertThat(roomChildren(room)).as("children of the rooms supervisor for %s", room).hasSize(1);
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    private List<ChildInfo> roomChildren(String room) throws Exception {
        Pid<Supervisor.Msg> rooms = node.<Supervisor.Msg>whereis(SupervisorNames.ROOMS).orElseThrow();
        List<ChildInfo> all = node.<Supervisor.Msg, List<ChildInfo>>call(rooms, Supervisor.WhichChildren::new,
                Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        return all.stream().filter(c -> c.id().equals(Room.processName(room)) && c.pid() != null).toList();
    }
}
