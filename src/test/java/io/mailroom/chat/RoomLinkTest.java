package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static io.mailroom.testing.Waits.eventually;

import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The per-room state machine of a session, driven directly: real processes stand in for the room
 * (they record what they are sent), the test plays the room's answers and DOWNs, and the port
 * records what the link asks of its session. No Spring, no socket.
 */
@TestNode
class RoomLinkTest {

    private static final long CLAIM = 7;

    private final Node node;
    private final Pid<Session.Msg> self;
    private final RecordingPort port = new RecordingPort();
    private final RoomLink link;

    /** The session side, as a log of what the link asked for. */
    static final class RecordingPort implements RoomLink.Port {
        final List<String> emitted = new ArrayList<>();
        /** The rooms supervisor was asked for the room. */
        final List<String> lookUps = new ArrayList<>();
        /** What the registry holds, as the test sets it; and each time the link read it. */
        final Map<String, Pid<Room.Msg>> registry = new HashMap<>();
        final List<String> registryReads = new ArrayList<>();
        final List<Duration> retries = new ArrayList<>();
        final List<Pid<Room.Msg>> monitored = new ArrayList<>();
        final List<MonitorRef> demonitored = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final AtomicLong refs = new AtomicLong();

        @Override
        public void emit(OutFrame frame) {
            emitted.add(frame.text());
        }

        @Override
        public MonitorRef monitor(RoomLink link, Pid<Room.Msg> room) {
            monitored.add(room);
            return new MonitorRef(refs.incrementAndGet());
        }

        @Override
        public void demonitor(MonitorRef ref) {
            demonitored.add(ref);
        }

        @Override
        public Optional<Pid<Room.Msg>> registered(String room) {
            registryReads.add(room);
            return Optional.ofNullable(registry.get(room));
        }

        @Override
        public void askSupervisor(RoomLink link) {
            lookUps.add(link.room());
        }

        @Override
        public void retryAfter(RoomLink link, Duration delay) {
            retries.add(delay);
        }

        @Override
        public void warn(String message) {
            warnings.add(message);
        }
    }

    /** A live process standing in for one room's process: it keeps what it is sent. */
    private record FakeRoom(Pid<Room.Msg> pid, ConcurrentLinkedQueue<Room.Msg> got) {
        /** What it got, once it has {@code n}: posts without their ids (random), see {@link #awaitGotRaw}. */
        List<Room.Msg> awaitGot(int n) {
            return awaitGotRaw(n).stream()
                    .map(m -> m instanceof Room.Post(var s, var t, var r, var id, var u) ? new Room.Post(s, t, r, null, u) : m)
                    .toList();
        }

        List<Room.Msg> awaitGotRaw(int n) {
            eventually().until(() -> got.size() >= n);
            return List.copyOf(got);
        }
    }

    private FakeRoom room() {
        ConcurrentLinkedQueue<Room.Msg> got = new ConcurrentLinkedQueue<>();
        Pid<Room.Msg> pid = node.spawn(Behaviors.<Room.Msg>receive(m -> {
            got.add(m);
            return Behaviors.same();
        }));
        return new FakeRoom(pid, got);
    }

    RoomLinkTest(Node node) {
        this.node = node;
        self = node.spawn(Behaviors.ignore());
        link = new RoomLink("lobby", self, "Ada", CLAIM, port);
    }

    private static OutFrame frame(String text) {
        return OutFrame.of(text);
    }

    /** Posts {@code text} through the link, and its room's process hands it to the store (cluster mode). */
    private Room.Post postHanded(FakeRoom r, String text) {
        int before = r.got().size();
        link.post(text, "r1");
        Room.Post post = (Room.Post) r.awaitGotRaw(before + 1).get(before);
        link.handed(post.id());
        return post;
    }

    /** Join, look-up answered, joined at {@code lastSeq}: the common start. */
    private FakeRoom joined(long lastSeq) {
        FakeRoom r = room();
        link.join(null);
        link.found(r.pid());
        r.awaitGot(1);
        link.joined(lastSeq);
        return r;
    }

    @Test
    void aJoinLooksTheRoomUpOnceAndSendsTheJoinWhenFound() {
        link.join(5L);
        link.post("early", "r1");

        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINING);
        assertThat(port.lookUps).as("one look-up for both requests").containsExactly("lobby");

        FakeRoom r = room();
        link.found(r.pid());

        assertThat(r.awaitGot(2)).containsExactly(new Room.Join(self, "Ada", CLAIM, 5L), new Room.Post(self, "early", "r1", null));
        assertThat(port.monitored).containsExactly(r.pid());
        assertThat(link.unconfirmed()).isEqualTo(2);

        link.joined(12);
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINED);
        assertThat(link.lastSeq()).isEqualTo(12);
        link.accepted(13, frame("ack"), null);
        assertThat(link.unconfirmed()).isZero();
        assertThat(link.lastSeq()).isEqualTo(13);
    }

    @Test
    void messagesArePassedOnOnlyWhenJoinedAndOnlyBeyondTheLastSeq() {
        link.join(null);
        link.broadcast(1, frame("before joined"));
        assertThat(port.emitted).as("not in the room yet").isEmpty();

        FakeRoom r = room();
        link.found(r.pid());
        link.joined(3);
        link.broadcast(3, frame("m3 again"));
        link.broadcast(4, frame("m4"));
        link.broadcast(0, frame("presence"));
        link.broadcast(4, frame("m4 again"));

        assertThat(port.emitted).containsExactly("m4", "presence");
        assertThat(link.lastSeq()).isEqualTo(4);
    }

    @Test
    void leavingEndsInDoneAndAStaleBroadcastAfterLeaveIsNotPassedOn() {
        FakeRoom r = joined(0);
        link.leave();
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.LEAVING);
        assertThat(link.wanted()).isFalse();
        assertThat(r.awaitGot(2)).last().isEqualTo(new Room.Leave(self));

        link.left();
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.DONE);
        link.broadcast(1, frame("late message"));
        link.broadcast(0, frame("late presence"));
        assertThat(port.emitted).isEmpty();

        link.close();
        assertThat(port.demonitored).containsExactly(new MonitorRef(1));
    }

    @Test
    void aStaleLookUpAnswerAfterTheRoomWasFoundChangesNothing() {
        FakeRoom r = joined(0);
        FakeRoom other = room();

        link.found(other.pid());
        link.notFound("late failure");

        assertThat(port.monitored).containsExactly(r.pid());
        assertThat(port.retries).isEmpty();
        link.post("hi", "r2");
        assertThat(r.awaitGot(2)).last().isEqualTo(new Room.Post(self, "hi", "r2", null));
        assertThat(other.got).isEmpty();
    }

    @Test
    void theRoomCrashingMidJoinSendsTheJoinAgainToTheNextProcess() {
        FakeRoom first = room();
        link.join(null);
        link.found(first.pid());
        first.awaitGot(1);

        link.roomEnded(ExitReason.of("boom"));

        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINING);
        assertThat(port.lookUps).containsExactly("lobby", "lobby");
        FakeRoom next = room();
        link.found(next.pid());
        assertThat(next.awaitGot(1)).as("no Rejoin: the client was never in").containsExactly(
                new Room.Join(self, "Ada", CLAIM, null));
        link.joined(0);
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINED);
    }

    @Test
    void afterARestartTheLinkRejoinsSilentlyAndPassesOnOnlyWhatWasMissed() {
        joined(2);
        link.broadcast(3, frame("m3"));
        link.post("unanswered", "r9");

        link.roomEnded(ExitReason.of("boom"));
        FakeRoom next = room();
        link.found(next.pid());

        assertThat(next.awaitGot(2)).as("never handed to a store: sent again as it was").containsExactly(
                new Room.Rejoin(self, "Ada", CLAIM, 3), new Room.Post(self, "unanswered", "r9", null, false));
        link.broadcast(5, frame("m5 live, before the catch-up"));
        assertThat(port.emitted).as("held back while rejoining: it is in the catch-up").containsExactly("m3");

        link.rejoined(3, List.of(frame("m3"), frame("m4"), frame("m5")));
        link.accepted(6, frame("ack 6"), null);

        assertThat(port.emitted).containsExactly("m3", "m4", "m5", "ack 6");
        assertThat(link.lastSeq()).isEqualTo(6);
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINED);
        assertThat(link.unconfirmed()).isZero();
    }

    @Test
    void aRoomThatEndsWithNothingUnansweredWhileNotInItLeavesTheLinkDone() {
        FakeRoom r = joined(0);
        link.leave();
        r.awaitGot(2);
        link.left();

        link.roomEnded(ExitReason.NORMAL);

        assertThat(link.phase()).isEqualTo(RoomLink.Phase.DONE);
        assertThat(port.lookUps).containsExactly("lobby");
    }

    @Test
    void aLeaveLostWithACrashIsSentAgainAndTheLinkDoesNotRejoin() {
        FakeRoom r = joined(0);
        link.leave();
        r.awaitGot(2);
        // the room ended before it answered the leave; the client is still "in" until left
        link.roomEnded(ExitReason.of("boom"));
        FakeRoom next = room();
        link.found(next.pid());

        assertThat(next.awaitGot(2)).containsExactly(new Room.Rejoin(self, "Ada", CLAIM, 0), new Room.Leave(self));
        link.rejoined(1, List.of());
        link.left();
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.DONE);
    }

    @Test
    void aFoundProcessThatHasEndedIsAskedForAgain() {
        FakeRoom dead = room();
        node.exit(dead.pid(), ExitReason.KILL);
        eventually().until(() -> !dead.pid().isAlive());
        link.join(null);

        link.found(dead.pid());

        assertThat(port.monitored).isEmpty();
        assertThat(port.lookUps).containsExactly("lobby", "lobby");
    }

    @Test
    void failedLookUpsAreRetriedWithAGrowingDelayAndGiveUpAfterTheBound() {
        link.join(null);
        for (int i = 1; i <= RoomLink.MAX_ROOM_FAILURES; i++) {
            link.notFound("refused: restarting");
            link.retry();
        }
        assertThat(port.retries).startsWith(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(15));
        assertThat(port.retries).last().isEqualTo(Duration.ofMillis(100));
        assertThat(port.lookUps).hasSize(1 + RoomLink.MAX_ROOM_FAILURES);

        assertThatThrownBy(() -> link.notFound("refused: restarting"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("lobby cannot be reached");
    }

    @Test
    void aRoomThatKeepsDyingOnThisSessionsRequestsEndsTheSession() {
        link.join(null);
        for (int i = 1; i < RoomLink.MAX_ROOM_DEATHS; i++) {
            link.found(room().pid());
            link.roomEnded(ExitReason.of("poison"));
        }
        link.found(room().pid());

        assertThatThrownBy(() -> link.roomEnded(ExitReason.of("poison")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ended 3 times in a row");
    }

    @Test
    void anAnswerResetsTheDeathCount() {
        FakeRoom r = joined(0);
        for (int i = 0; i < 2 * RoomLink.MAX_ROOM_DEATHS; i++) {
            link.post("m" + i, "r" + i);
            link.roomEnded(ExitReason.of("boom"));
            link.found(room().pid());
            link.rejoined(1, List.of());
            link.accepted(i + 1, frame("ack"), null);
        }
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINED);
        assertThat(r.got).isNotEmpty();
    }

    @Test
    void anAnswerOutOfOrderIsWarnedAboutAndTakesItsOwnRequestOff() {
        FakeRoom r = room();
        link.join(null);
        link.post("x", "r1");
        link.found(r.pid());

        link.accepted(1, frame("ack"), null);

        assertThat(port.warnings).singleElement().asString().contains("Post answered out of order");
        assertThat(link.unconfirmed()).isEqualTo(1);
        link.joined(1);
        assertThat(link.unconfirmed()).isZero();
    }

    @Test
    void aLiveProcessInTheRegistryIsTakenWithoutAskingTheSupervisor() {
        FakeRoom r = room();
        port.registry.put("lobby", r.pid());

        link.join(null);

        assertThat(port.lookUps).isEmpty();
        assertThat(port.monitored).containsExactly(r.pid());
        assertThat(r.awaitGot(1)).containsExactly(new Room.Join(self, "Ada", CLAIM, null));
    }

    /**
     * A room's process stays registered while its stop handler runs, after it has stopped being
     * alive. A link that read the registry again on each ended process it found spent its whole
     * failure bound in one turn and crashed its session; it asks the supervisor instead, once.
     */
    @Test
    void anEndedProcessStillInTheRegistryIsNotTakenAndTheSupervisorIsAskedOnce() {
        FakeRoom dying = room();
        node.exit(dying.pid(), ExitReason.KILL);
        eventually().until(() -> !dying.pid().isAlive());
        port.registry.put("lobby", dying.pid());

        link.join(null);

        assertThat(port.monitored).isEmpty();
        assertThat(port.registryReads).containsExactly("lobby");
        assertThat(port.lookUps).containsExactly("lobby");
        FakeRoom restarted = room();
        link.found(restarted.pid());
        assertThat(restarted.awaitGot(1)).containsExactly(new Room.Join(self, "Ada", CLAIM, null));
        assertThat(dying.got).isEmpty();
    }

    @Test
    void anEndedProcessNamedByTheSupervisorIsAskedOfTheSupervisorAgainNotOfTheRegistry() {
        FakeRoom dead = room();
        node.exit(dead.pid(), ExitReason.KILL);
        eventually().until(() -> !dead.pid().isAlive());
        port.registry.put("lobby", dead.pid());
        link.join(null);

        for (int i = 0; i < RoomLink.MAX_ROOM_FAILURES; i++) {
            link.found(dead.pid());
        }

        assertThat(port.registryReads).as("read once, at the join").hasSize(1);
        assertThat(port.lookUps).hasSize(1 + RoomLink.MAX_ROOM_FAILURES);
        assertThatThrownBy(() -> link.found(dead.pid()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("keeps naming ended processes");
    }

    @Test
    void aRoomThatEndedIsLookedUpInTheRegistryFirst() {
        FakeRoom first = joined(0);
        FakeRoom restarted = room();
        port.registry.put("lobby", restarted.pid());

        link.roomEnded(ExitReason.KILLED);

        assertThat(port.lookUps).as("only the first join asked the supervisor").containsExactly("lobby");
        assertThat(port.monitored).containsExactly(first.pid(), restarted.pid());
        assertThat(restarted.awaitGot(1)).containsExactly(new Room.Rejoin(self, "Ada", CLAIM, 0));
    }

    @Test
    void aFirstJoinTheRoomCouldNotDoLeavesTheLinkDone() {
        FakeRoom r = room();
        link.join(null);
        link.found(r.pid());

        assertThat(link.unavailable(true, null)).as("the session stops counting the room").isTrue();

        assertThat(link.wanted()).isFalse();
        assertThat(link.phase()).isEqualTo(RoomLink.Phase.DONE);
        link.broadcast(1, frame("not in the room"));
        assertThat(port.emitted).isEmpty();
    }

    @Test
    void aJoinAgainOrAPostTheRoomCouldNotDoLeavesTheClientInTheRoom() {
        joined(4);
        link.join(4L);
        link.post("hi", "r1");

        assertThat(link.unavailable(true, null)).isFalse();
        assertThat(link.unavailable(false, null)).isFalse();

        assertThat(link.phase()).isEqualTo(RoomLink.Phase.JOINED);
        assertThat(link.unconfirmed()).isZero();
        assertThat(port.warnings).isEmpty();
        link.broadcast(5, frame("m5"));
        assertThat(port.emitted).containsExactly("m5");
    }

    @Test
    void aPostSentAgainToTheNextProcessKeepsItsIdAndAnotherPostHasAnother() {
        FakeRoom r = joined(2);
        Room.Post first = postHanded(r, "once");

        link.roomEnded(ExitReason.of("killed mid-append"));
        FakeRoom next = room();
        link.found(next.pid());
        Room.Post again = (Room.Post) next.awaitGotRaw(2).get(1);
        link.post("twice", "r2");
        Room.Post other = (Room.Post) next.awaitGotRaw(3).get(2);

        assertThat(first.id()).isNotBlank();
        assertThat(again.id()).as("the store knows a resend by it").isEqualTo(first.id());
        assertThat(first.uncertain()).isFalse();
        assertThat(again.uncertain()).as("the process that ended may have stored it").isTrue();
        assertThat(other.id()).isNotEqualTo(first.id());
        assertThat(other.uncertain()).isFalse();
    }

    /**
     * A post the ended process never handed to its store (still in its mailbox, or sent to it after
     * it ended and before its DOWN came) is certainly not stored: sent again as a new post, which
     * the next process may refuse at once while the store is away, and nothing is held for it. Of
     * two posts, only the handed one is a suspect.
     */
    @Test
    void onlyAPostTheEndedProcessHandedToItsStoreIsSentAgainAsUncertain() {
        FakeRoom r = joined(2);
        Room.Post handed = postHanded(r, "handed");
        link.post("in its mailbox", "r2");
        Room.Post unhandled = (Room.Post) r.awaitGotRaw(3).get(2);

        link.roomEnded(ExitReason.KILLED);
        FakeRoom next = room();
        link.found(next.pid());
        List<Room.Msg> resent = next.awaitGotRaw(3);
        assertThat(resent.get(1)).isEqualTo(handed.again());
        assertThat(resent.get(2)).as("certainly not stored").isEqualTo(unhandled);

        link.rejoined(3, List.of(frame("m3")));
        assertThat(port.emitted).as("held for the handed post only").isEmpty();
        link.unavailable(false, unhandled.id());
        assertThat(port.emitted).isEmpty();
        link.accepted(4, frame("ack 4"), handed.id());
        assertThat(port.emitted).containsExactly("m3", "ack 4");

        // once answered, a handed post is forgotten: the next end of the room makes no suspect of it
        link.post("later", "r3");
        Room.Post later = (Room.Post) next.awaitGotRaw(4).get(3);
        link.roomEnded(ExitReason.KILLED);
        FakeRoom third = room();
        link.found(third.pid());
        assertThat(third.awaitGotRaw(2)).containsExactly(new Room.Rejoin(self, "Ada", CLAIM, 4), later);
        link.rejoined(5, List.of(frame("m5")));
        assertThat(port.emitted).last().isEqualTo("m5");
    }

    @Test
    void theSendersOwnStoredPostInTheCatchUpComesOnlyAsItsAckInSeqOrder() {
        postHanded(joined(2), "mine");
        link.roomEnded(ExitReason.of("killed after the store took the post"));
        FakeRoom next = room();
        link.found(next.pid());
        next.awaitGot(2);

        // the catch-up holds the post as seq 4 (stored by the ended process); the store answers the
        // resend with that seq
        link.rejoined(3, List.of(frame("m3"), frame("mine as message 4"), frame("m5")));
        link.broadcast(6, frame("m6"));
        link.broadcast(0, frame("presence"));
        assertThat(port.emitted).as("held until the post is answered: seq 4 may be its own").isEmpty();

        link.accepted(4, frame("ack 4"), null);

        assertThat(port.emitted).containsExactly("m3", "ack 4", "m5", "m6", "presence");
        assertThat(link.lastSeq()).isEqualTo(6);
        link.broadcast(7, frame("m7"));
        assertThat(port.emitted).last().isEqualTo("m7");
    }

    @Test
    void aPostStoredOnlyWhenSentAgainIsAcknowledgedAfterTheCatchUp() {
        joined(2);
        link.post("mine", "r1");
        link.roomEnded(ExitReason.of("killed before the store took the post"));
        link.found(room().pid());

        link.rejoined(3, List.of(frame("m3"), frame("m4")));
        link.accepted(5, frame("ack 5"), null);

        assertThat(port.emitted).containsExactly("m3", "m4", "ack 5");
        assertThat(link.lastSeq()).isEqualTo(5);
    }

    @Test
    void heldFramesGoOnWhenTheResentPostIsRefused() {
        postHanded(joined(2), "mine");
        link.roomEnded(ExitReason.of("boom"));
        link.found(room().pid());

        link.rejoined(3, List.of(frame("m3")));
        assertThat(port.emitted).isEmpty();
        link.unavailable(false, null);

        assertThat(port.emitted).containsExactly("m3");
        assertThat(link.lastSeq()).isEqualTo(3);
    }

    /**
     * In cluster mode a room refuses a later post (its store is away) before it answers an earlier
     * one whose outcome it is still learning: answers go by the post's id, so the refusal confirms
     * the later post only, the frames stay held for the suspect, and if the room ends again the
     * suspect, not the refused post, is sent again.
     */
    @Test
    void aLaterPostRefusedBeforeTheSuspectIsAnsweredConfirmsOnlyItself() {
        postHanded(joined(2), "mine");
        link.roomEnded(ExitReason.of("killed mid-append"));
        FakeRoom next = room();
        link.found(next.pid());
        Room.Post suspect = (Room.Post) next.awaitGotRaw(2).get(1);
        link.rejoined(3, List.of(frame("m3")));
        link.post("later", "r2");
        Room.Post later = (Room.Post) next.awaitGotRaw(3).get(2);

        link.unavailable(false, later.id());
        assertThat(port.emitted).as("still held: seq 4 may be the suspect's").isEmpty();
        assertThat(link.unconfirmed()).isEqualTo(1);
        assertThat(port.warnings).isEmpty();

        link.roomEnded(ExitReason.of("killed again"));
        FakeRoom third = room();
        link.found(third.pid());
        assertThat(third.awaitGotRaw(2).get(1)).as("the suspect goes again, the refused post does not")
                .isEqualTo(suspect.again());
        link.rejoined(3, List.of(frame("m3"), frame("mine as message 4")));
        link.accepted(4, frame("ack 4"), suspect.id());
        assertThat(port.emitted).containsExactly("m3", "ack 4");
        assertThat(link.unconfirmed()).isZero();
    }
}
