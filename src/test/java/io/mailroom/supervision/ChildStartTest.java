package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Starting children: start_child on a static supervisor, and children whose start fails. */
@TestNode
class ChildStartTest {

    private final Node node;
    private final Events events = new Events();

    ChildStartTest(Node node) {
        this.node = node;
    }

    /** A start function that fails on the calls whose number (from 1) {@code fails} says. */
    private Supplier<Behavior<TestWorker.Cmd>> failingOn(String id, java.util.function.IntPredicate fails) {
        AtomicInteger calls = new AtomicInteger();
        return () -> {
            if (fails.test(calls.incrementAndGet())) {
                throw new IllegalStateException("cannot start " + id);
            }
            return TestWorker.recording(id, events);
        };
    }

    @Test
    @Timeout(30)
    void startChildAddsAChildAfterTheOthers() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events))));

        StartResult result = join(Supervisor.startChild(node, sup, worker("b", events), CALL));

        assertThat(result).isInstanceOf(StartResult.Started.class);
        assertThat(Trees.ids(node, sup)).containsExactly("a", "b");
        eventually().until(() -> events.of("start").size() == 2);
        join(Supervisor.stop(node, sup));
        assertThat(events.of("stop")).containsExactly("b", "a");
    }

    @Test
    @Timeout(30)
    void startChildWithTheIdOfARunningChildGivesAlreadyStarted() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events))));
        Pid<?> a = Trees.pid(node, sup, "a");

        StartResult result = join(Supervisor.startChild(node, sup, worker("a", events), CALL));

        assertThat(result).isEqualTo(new StartResult.AlreadyStarted(a));
        assertThat(Trees.children(node, sup)).hasSize(1);
    }

    @Test
    @Timeout(30)
    void startChildWithTheIdOfAStoppedChildIsRefusedAsAlreadyPresent() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events, Restart.TRANSIENT))));
        Trees.send(Trees.pid(node, sup, "a"), new TestWorker.StopWith(ExitReason.NORMAL));
        Trees.awaitNotRunning(node, sup, "a");

        StartResult result = join(Supervisor.startChild(node, sup, worker("a", events), CALL));

        assertThat(result).isEqualTo(new StartResult.Refused("already_present"));
    }

    @Test
    @Timeout(30)
    void aChildWhoseStartFailsIsRefusedAndNotKept() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.dynamic("dyn"));
        ChildSpec<TestWorker.Cmd> broken = ChildSpec.worker("broken", failingOn("broken", n -> true));

        StartResult result = join(Supervisor.startChild(node, sup, broken, CALL));

        assertThat(result).isInstanceOf(StartResult.Refused.class);
        assertThat(((StartResult.Refused) result).reason()).contains("cannot start broken");
        assertThat(Trees.children(node, sup)).isEmpty();
        assertThat(sup.isAlive()).isTrue();
    }

    @Test
    @Timeout(30)
    void aSupervisorWhoseChildFailsToStartStopsTheOthersAndExits() {
        // OTP: the supervisor terminates the children already started and fails with
        // {shutdown, {failed_to_start_child, Id, Reason}}
        Trees.Watched sup = Trees.startWatched(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE, List.of(
                worker("a", events), worker("b", events),
                ChildSpec.worker("c", failingOn("c", n -> true)), worker("d", events))));

        ExitReason reason = join(sup.exit());

        assertThat(reason).isInstanceOf(ExitReason.Shutdown.class);
        assertThat(reason.toString()).contains("failed_to_start_child c").contains("cannot start c");
        assertThat(events.of("stop")).containsExactly("b", "a");
        assertThat(events.of("start")).doesNotContain("d");
    }

    @Test
    @Timeout(30)
    void aChildThatFailsToRestartIsTriedAgainAsAnotherRestart() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(ChildSpec.worker("a", failingOn("a", n -> n == 2)))).withIntensity(Intensity.of(5, 3600)));
        Pid<?> a = Trees.pid(node, sup, "a");

        crash(node, a, "boom");

        Pid<?> again = awaitReplaced(node, sup, "a", a);
        assertThat(again.isAlive()).isTrue();
        assertThat(Trees.report(node, sup).restarts()).as("the failed attempt counts").isEqualTo(2);
    }

    @Test
    @Timeout(30)
    void aChildThatNeverRestartsUsesUpTheIntensity() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events), ChildSpec.worker("b", failingOn("b", n -> n > 1))))
                .withIntensity(Intensity.of(3, 3600)));
        eventually().until(() -> events.of("start").size() == 2);
        Pid<?> a = Trees.pid(node, sup, "a");
        CompletableFuture<ExitReason> supExit = node.whenExited(sup);

        crash(node, Trees.pid(node, sup, "b"), "boom");

        assertThat(join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(a.isAlive()).isFalse();
    }

    @Test
    @Timeout(30)
    void anExitFromALinkedProcessThatIsNotAChildIsIgnored() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events))));
        Pid<?> a = Trees.pid(node, sup, "a");
        Pid<String> stranger = node.spawn(Behaviors.<String>setup((ProcessContext<String> ctx) -> {
            ctx.link(sup);
            return Behaviors.receive(msg -> Behaviors.stopped(ExitReason.of("stranger died")));
        }));
        eventually().until(() -> node.info(sup).orElseThrow().links().contains(stranger.toString()));

        CompletableFuture<ExitReason> strangerExit = node.whenExited(stranger);

        stranger.send("die");

        assertThat(join(strangerExit)).hasToString("stranger died");
        // the supervisor is still there and still answers, with its child untouched
        assertThat(Trees.pid(node, sup, "a")).isEqualTo(a);
        assertThat(Trees.report(node, sup).restarts()).isZero();
        assertThat(sup.isAlive()).isTrue();
    }
}
