package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.recording;
import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code start_child} for a child that registers a name: one child per name, as OTP's
 * {@code start_child} answers {@code {error, {already_started, Pid}}}, and a start request that
 * reaches the supervisor after the child of that name ended but before the supervisor handled its
 * exit waits for that exit instead of racing the restart. The rooms supervisor's "look up or
 * start" is this request.
 */
@TestNode(schedulers = 2) // two: one is held inside the supervisor's turn while the other runs the child
class StartChildByNameTest {

    private static final String NAME = "room:lobby";

    private final Node node;
    private final Events events = new Events();
    private final Pid<Supervisor.Msg> sup;

    StartChildByNameTest(Node node) {
        this.node = node;
        sup = Supervisor.start(node, SupervisorSpec.dynamic("rooms"));
    }

    private static ChildSpec<TestWorker.Cmd> lobby(Events events) {
        return TestWorker.named(worker("lobby", events, Restart.TRANSIENT), NAME);
    }

    private Pid<?> started(ChildSpec<?> spec) {
        StartResult result = join(Supervisor.startChild(node, sup, spec, CALL));
        assertThat(result).isInstanceOf(StartResult.Started.class);
        return ((StartResult.Started) result).pid();
    }

    /**
     * Holds the supervisor inside one turn (the start of an unrelated child) until released, so
     * that what is sent meanwhile is queued in a known order: a message sent now is in the
     * mailbox before the exit signal of a child ending now is turned into the supervisor's
     * trapped EXIT message (that happens between messages, at the tail of the mailbox).
     */
    private final class Gate {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CompletableFuture<StartResult> started;

        Gate() throws InterruptedException {
            ChildSpec<TestWorker.Cmd> gate = ChildSpec.worker("gate", () -> {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return recording("gate", events);
            });
            started = Supervisor.startChild(node, sup, gate, CALL);
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the supervisor is starting the gate").isTrue();
        }

        void open() {
            release.countDown();
            assertThat(join(started)).isInstanceOf(StartResult.Started.class);
        }
    }

    @Test
    @Timeout(30)
    void aRunningChildOfTheNameIsAnsweredAndNotStartedAgain() {
        Pid<?> first = started(lobby(events));

        StartResult again = join(Supervisor.startChild(node, sup, lobby(events), CALL));

        assertThat(again).isEqualTo(new StartResult.AlreadyStarted(first));
        assertThat(events.of("start")).containsExactly("lobby");
        assertThat(Trees.ids(node, sup)).containsExactly("lobby");
    }

    @Test
    @Timeout(30)
    void aStartAskedBeforeTheSupervisorHandledTheCrashIsAnsweredWithTheRestartedChild() throws Exception {
        Pid<?> first = started(lobby(events));
        Gate gate = new Gate();
        crash(node, first, "boom");
        eventually().until(() -> !first.isAlive());
        CompletableFuture<StartResult> lookUp = Supervisor.startChild(node, sup, lobby(events), CALL);

        gate.open();

        StartResult result = join(lookUp);
        Pid<?> restarted = node.whereis(NAME).orElseThrow();
        assertThat(restarted).isNotEqualTo(first);
        assertThat(result).as("the restarted child, not a second one").isEqualTo(new StartResult.AlreadyStarted(restarted));
        assertThat(Trees.ids(node, sup)).containsExactly("lobby", "gate");
        assertThat(Trees.report(node, sup).restarts()).isEqualTo(1);
        assertThat(events.of("start")).containsExactly("lobby", "gate", "lobby");
        assertThat(sup.isAlive()).isTrue();
    }

    @Test
    @Timeout(30)
    void aStartAskedBeforeTheSupervisorHandledANormalEndStartsTheChildAfresh() throws Exception {
        Pid<?> first = started(lobby(events));
        Gate gate = new Gate();
        Trees.send(first, new TestWorker.StopWith(ExitReason.NORMAL));
        eventually().until(() -> !first.isAlive());
        CompletableFuture<StartResult> lookUp = Supervisor.startChild(node, sup, lobby(events), CALL);

        gate.open();

        StartResult result = join(lookUp);
        Pid<?> fresh = node.whereis(NAME).orElseThrow();
        assertThat(fresh).isNotEqualTo(first);
        assertThat(result).isEqualTo(new StartResult.Started(fresh));
        assertThat(Trees.ids(node, sup)).containsExactly("gate", "lobby");
        assertThat(Trees.report(node, sup).restarts()).as("a transient child that ended normally is not restarted").isZero();
    }

    @Test
    @Timeout(30)
    void requestsNamingNoDyingChildAreNotHeldBack() throws Exception {
        Pid<?> first = started(lobby(events));
        Gate gate = new Gate();
        crash(node, first, "boom");
        eventually().until(() -> !first.isAlive());
        CompletableFuture<StartResult> lookUp = Supervisor.startChild(node, sup, lobby(events), CALL);
        CompletableFuture<StartResult> other = Supervisor.startChild(node, sup,
                TestWorker.named(worker("hall", events, Restart.TRANSIENT), "room:hall"), CALL);

        gate.open();

        assertThat(join(other)).isInstanceOf(StartResult.Started.class);
        assertThat(join(lookUp)).isInstanceOf(StartResult.AlreadyStarted.class);
        assertThat(events.of("start")).as("hall was started before the lobby's exit was handled")
                .containsExactly("lobby", "gate", "hall", "lobby");
    }
}
