package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Pid;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The chat's own room process killed through {@code DELETE /actuator/processes/{pid}}: the rooms
 * supervisor restarts it (transient, reason killed), the restart is counted, and a member who
 * stayed connected can still post and gets the next seq (protocol.md §1: the restart is invisible).
 */
class KillRealRoomTest extends ObserveTestSupport {

    /** Text frames of one WebSocket, queued as they arrive. */
    static final class Frames implements WebSocket.Listener {
        final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    JsonNode next(Frames frames, String type) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = frames.frames.poll(1, TimeUnit.SECONDS);
            if (text != null) {
                JsonNode frame = json.readTree(text);
                if (type.equals(frame.get("type").asString())) {
                    return frame;
                }
            }
        }
        throw new AssertionError("no " + type + " frame in " + WAIT);
    }

    @Test
    void killingARoomMakesTheRoomsSupervisorRestartItAndItsMembersCarryOn() throws Exception {
        String room = "obs-" + UUID.randomUUID().toString().substring(0, 8);
        Frames frames = new Frames();
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/chat?user=Obs" + room.substring(4)), frames)
                .get(30, TimeUnit.SECONDS);
        try {
            next(frames, "welcome");
            ws.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true).get(30, TimeUnit.SECONDS);
            next(frames, "joined");
            ws.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"before\"}", true);
            assertThat(next(frames, "ack").get("seq").asLong()).isEqualTo(1);

            Pid<?> first = node.whereis("room:" + room).orElseThrow();
            double before = scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.ROOMS);
            JsonNode listed = adminJson("/actuator/processes?type=room&limit=1000");
            assertThat(listed.get("processes").valueStream()
                    .filter(p -> p.get("pid").asString().equals(first.toString())).findFirst().orElseThrow()
                    .get("name").asString()).isEqualTo("room:" + room);

            assertThat(send("DELETE", processPath(first), Auth.ADMIN).status()).isEqualTo(204);

            eventually().until(() -> node.whereis("room:" + room).filter(p -> !p.equals(first)).isPresent());
            assertThat(scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.ROOMS))
                    .isEqualTo(before + 1);
            JsonNode child = SupervisorsEndpointTest.child(adminJson("/actuator/supervisors"), ServiceTree.ROOMS,
                    "room:" + room);
            assertThat(child.get("restarts").asInt()).isEqualTo(1);
            assertThat(child.get("lastRestartReason").asString()).isEqualTo("killed");

            ws.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"after\"}", true);
            assertThat(next(frames, "ack").get("seq").asLong()).as("history and seq survive the restart").isEqualTo(2);
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
    }
}
