package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
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
import tools.jackson.databind.JsonNode;

/**
 * After a resume, a late Join or Rejoin of the replaced session (sent before it learnt it was
 * replaced, or as it re-attached to a restarted room) reaches the room after its successor's
 * join. Rooms used to let any session push out a member of the same name, so that late request
 * evicted the new session: it stopped getting the room's messages while its client thought it was
 * in. Now the later claim of a name wins, in whatever order the requests arrive.
 *
 * <p>The two sessions' requests race in real life; here the late ones are put in the room's
 * mailbox by hand, with the replaced session's own pid and claim, after the new session has
 * joined through the real WebSocket: the one order that used to go wrong, every time.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumeMembershipTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Autowired
    RoomStore rooms;

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    RoomLog.Member member(String room, String user) {
        for (RoomLog.Member m : rooms.find(room).orElseThrow().members()) {
            if (m.user().equals(user)) {
                return m;
            }
        }
        throw new AssertionError(user + " is not on the roster of " + room);
    }

    @Test
    void aLateJoinOrRejoinOfTheReplacedSessionDoesNotEvictTheNewOne() throws Exception {
        String name = "Resumer" + IDS.incrementAndGet();
        String talker = "Talker" + IDS.incrementAndGet();
        String room = "stale-" + IDS.incrementAndGet();
        try (ChatClient other = ChatClient.welcomed(port, talker);
             ChatClient old = ChatClient.connect(port, name)) {
            String token = old.expect("welcome").get("session").asString();
            other.joined(room);
            old.joined(room);
            other.expect("presence");
            RoomLog.Member replaced = member(room, name);

            try (ChatClient fresh = ChatClient.connect(ChatClient.uri(port, name, token))) {
                fresh.expect("welcome");
                assertThat(old.awaitClose()).isEqualTo(4000);
                assertThat(other.expect("presence").get("event").asString()).isEqualTo("leave");
                fresh.joined(room);
                assertThat(other.expect("presence").get("event").asString()).isEqualTo("join");
                RoomLog.Member current = member(room, name);
                assertThat(current.session()).isNotEqualTo(replaced.session());
                assertThat(current.claim()).isGreaterThan(replaced.claim());

                // the replaced session's late requests, then a Leave of nobody to know they were handled
                Pid<Room.Msg> roomPid = node.<Room.Msg>whereis(Room.processName(room)).orElseThrow();
                roomPid.send(new Room.Join(replaced.session(), name, replaced.claim(), null));
                roomPid.send(new Room.Rejoin(replaced.session(), name, replaced.claim(), 0));
                Object answer = node.<Room.Msg, Session.Msg>call(roomPid, Room.Leave::new, Duration.ofSeconds(10))
                        .get(10, TimeUnit.SECONDS);
                assertThat(answer).isEqualTo(new Session.Left(room));

                // the new session is still the member, alone under its name: REST lists it, and it gets messages
                assertThat(member(room, name).session()).isEqualTo(current.session());
                Rest.Answer detail = Rest.get(port, "/api/rooms/" + room);
                assertThat(detail.status()).isEqualTo(200);
                assertThat(strings(detail.body().get("members"))).containsExactlyInAnyOrder(name, talker);

                long seq = other.say(room, "still there?", "q").expect("ack").get("seq").asLong();
                JsonNode message = fresh.expect("message");
                assertThat(message.get("seq").asLong()).isEqualTo(seq);
                assertThat(message.get("text").asString()).isEqualTo("still there?");
                assertThat(message.get("from").asString()).isEqualTo(talker);
                // and nobody saw the replaced session come or go again
                assertThat(other.pending()).noneMatch(f -> "presence".equals(f.get("type").asString()));
            }
        }
    }
}
