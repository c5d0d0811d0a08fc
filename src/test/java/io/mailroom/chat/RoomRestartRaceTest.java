package io.mailroom.chat;

import static io.mailroom.testing.Waits.eventually;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Sessions joining, posting and leaving a room whose process is killed again and again, each kill
 * crossing requests in flight: every join ends {@code joined}, every post is acknowledged once,
 * every leave ends {@code left}, no session crashes, a member that stays in the room sees every
 * message once and in seq order, and the room has one process at the end.
 *
 * <p>The killer lets every racer finish two requests after each kill before it kills again: a
 * session gives up on a room that ends {@value RoomLink#MAX_ROOM_DEATHS} times in a row with its
 * requests unanswered (a poison message), and an answer in between is what tells it the room is
 * not dying of its requests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.chat.join-rate.capacity=1000000",
        "mailroom.chat.join-rate.refill-per-second=1000000",
        "mailroom.chat.rate.capacity=1000000",
        "mailroom.chat.rate.refill-per-second=1000000",
        // the test kills far faster than real faults come: the rooms supervisor must not give up
        "mailroom.rooms.max-restarts=1000000",
        "mailroom.rooms.within-seconds=1"})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RoomRestartRaceTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    private static final int CLIENTS = 8;
    private static final int ROUNDS = 40;

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @AfterAll
    static void stopThreads() {
        THREADS.shutdownNow();
    }

    /** A racer: its client, and how many of its requests have been answered. */
    private record Racer(ChatClient client, AtomicInteger answered) {}

    @RepeatedTest(30)
    void joinsPostsAndLeavesAllEndWellWhileTheRoomIsKilledAgainAndAgain() throws Exception {
        String room = "race" + IDS.incrementAndGet();
        List<ChatClient> clients = new ArrayList<>();
        try {
            ChatClient keeper = ChatClient.welcomed(port, "Keeper" + IDS.incrementAndGet());
            clients.add(keeper);
            keeper.joined(room); // keeps the room from idling out, and sees every message
            List<Racer> racers = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                ChatClient c = ChatClient.welcomed(port, "Racer" + IDS.incrementAndGet());
                clients.add(c);
                racers.add(new Racer(c, new AtomicInteger()));
            }
            Set<Long> acked = ConcurrentHashMap.newKeySet();
            List<Future<?>> running = new ArrayList<>();
            for (Racer r : racers) {
                running.add(THREADS.submit(() -> {
                    ChatClient c = r.client();
                    for (int round = 0; round < ROUNDS; round++) {
                        c.join(room);
                        assertThat(nextOwn(c, "joined").get("room").asString()).isEqualTo(room);
                        r.answered().incrementAndGet();
                        String ref = "r" + round;
                        c.say(room, "round " + round, ref);
                        JsonNode ack = nextOwn(c, "ack");
                        assertThat(ack.get("ref").asString()).isEqualTo(ref);
                        assertThat(acked.add(ack.get("seq").asLong())).as("seq %s acknowledged once", ack).isTrue();
                        r.answered().incrementAndGet();
                        c.leave(room);
                        nextOwn(c, "left");
                        r.answered().incrementAndGet();
                    }
                    return null;
                }));
            }

            int kills = 0;
            while (running.stream().anyMatch(f -> !f.isDone())) {
                Pid<?> victim = node.whereis(Room.processName(room)).orElseThrow();
                int[] before = racers.stream().mapToInt(r -> r.answered().get()).toArray();
                node.exit(victim, kills % 2 == 0 ? ExitReason.KILL : ExitReason.of("boom"));
                kills++;
                eventually().until(() -> node.whereis(Room.processName(room)).filter(p -> p != victim).isPresent());
                for (int i = 0; i < racers.size(); i++) {
                    int index = i;
                    eventually().until(() -> running.get(index).isDone()
                            || racers.get(index).answered().get() >= before[index] + 2);
                }
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS); // a racer's failed assertion fails the test here
            }

            int posts = CLIENTS * ROUNDS;
            assertThat(kills).as("kills while the racers ran").isGreaterThanOrEqualTo(10);
            assertThat(acked).as("every post stored once, under its own seq").hasSize(posts)
                    .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, posts).boxed().toList());
            eventually().until(() -> messageSeqs(keeper).size() >= posts);
            assertThat(messageSeqs(keeper)).as("the keeper saw every message once, in order")
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, posts).boxed().toList());
            for (ChatClient c : clients) {
                assertThat(c.all()).as("no error for %s", c)
                        .noneMatch(f -> f.json().get("type").asString().equals("error"));
                assertThat(c.isClosed()).as("%s is open", c).isFalse();
            }
            Pid<?> now = node.whereis(Room.processName(room)).orElseThrow();
            assertThat(roomChildren(room)).as("one process for the room").singleElement()
                    .satisfies(ch -> assertThat(ch.pid()).isEqualTo(now));
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    /**
     * The next frame that answers this client's own request, which must be of {@code type}:
     * presence events and messages of the others come between while it is in the room.
     */
    private static JsonNode nextOwn(ChatClient c, String type) {
        while (true) {
            JsonNode f = c.next();
            String t = f.get("type").asString();
            if (!t.equals("presence") && !t.equals("message")) {
                assertThat(t).as("frame %s", f).isEqualTo(type);
                return f;
            }
        }
    }

    private static List<Long> messageSeqs(ChatClient c) {
        return c.all().stream().map(ChatClient.Received::json)
                .filter(f -> f.get("type").asString().equals("message"))
                .map(f -> f.get("seq").asLong()).toList();
    }

    private List<ChildInfo> roomChildren(String room) throws Exception {
        Pid<Supervisor.Msg> rooms = node.<Supervisor.Msg>whereis(SupervisorNames.ROOMS).orElseThrow();
        List<ChildInfo> all = Supervisor.whichChildren(node, rooms, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        return all.stream().filter(ch -> ch.id().equals(Room.processName(room)) && ch.pid() != null).toList();
    }
}
