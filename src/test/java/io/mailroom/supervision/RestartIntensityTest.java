package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OTP: "if more than MaxR restarts occur within MaxT seconds, the supervisor terminates all child
 * processes and then itself. The termination reason for the supervisor itself in that case will be
 * shutdown."
 */
@TestNode
class RestartIntensityTest {

    private final Node node;
    private final Events events = new Events();

    RestartIntensityTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> startAbc(Intensity intensity) {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events), worker("b", events), worker("c", events))).withIntensity(intensity));
        eventually().until(() -> events.of("start").size() == 3);
        return sup;
    }

    /** Crashes child {@code id} and waits for its restart. */
    private void crashAndAwaitRestart(Pid<Supervisor.Msg> sup, String id) {
        Pid<?> old = Trees.pid(node, sup, id);
        crash(node, old, "boom");
        awaitReplaced(node, sup, id, old);
    }

    @Test
    @Timeout(30)
    void maxRestartsWithinThePeriodAreAllowed() {
        Pid<Supervisor.Msg> sup = startAbc(Intensity.of(3, 3600));

        crashAndAwaitRestart(sup, "b");
        crashAndAwaitRestart(sup, "a");
        crashAndAwaitRestart(sup, "b");

        assertThat(sup.isAlive()).isTrue();
        SupervisorReport report = Trees.report(node, sup);
        assertThat(report.restarts()).isEqualTo(3);
        assertThat(report.restartsInWindow()).isEqualTo(3);
    }

    @Test
    @Timeout(30)
    void oneRestartMoreStopsAllChildrenAndExitsWithShutdown() {
        Pid<Supervisor.Msg> sup = startAbc(Intensity.of(3, 3600));
        CompletableFuture<ExitReason> supExit = node.whenExited(sup);
        crashAndAwaitRestart(sup, "b");
        crashAndAwaitRestart(sup, "b");
        crashAndAwaitRestart(sup, "b");
        eventually().until(() -> events.of("start").size() == 6);
        List<ChildInfo> last = Trees.children(node, sup);
        int seen = events.size();

        crash(node, Trees.pid(node, sup, "b"), "boom");

        assertThat(Trees.join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
        for (ChildInfo c : last) {
            assertThat(c.pid().isAlive()).as("child %s", c.id()).isFalse();
        }
        // b crashed; the supervisor stopped the others, in reverse start order, and started nothing
        assertThat(events.since(seen)).containsExactly("stop:b", "stop:c", "stop:a");
    }

    @Test
    @Timeout(30)
    void theChildrenAreStoppedWithShutdownBeforeTheSupervisorExits() {
        Pid<Supervisor.Msg> sup = startAbc(Intensity.of(0, 3600));
        Pid<?> a = Trees.pid(node, sup, "a");
        Pid<?> c = Trees.pid(node, sup, "c");
        CompletableFuture<ExitReason> aExit = node.whenExited(a);
        CompletableFuture<ExitReason> cExit = node.whenExited(c);
        CompletableFuture<ExitReason> supExit = node.whenExited(sup);
        CompletableFuture<Boolean> siblingsDeadFirst = supExit.thenApply(r -> !a.isAlive() && !c.isAlive());

        crash(node, Trees.pid(node, sup, "b"), "boom");

        assertThat(Trees.join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(Trees.join(siblingsDeadFirst)).isTrue();
        assertThat(Trees.join(aExit)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(Trees.join(cExit)).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    void intensityZeroMeansTheFirstRestartIsOneTooMany() {
        Pid<Supervisor.Msg> sup = startAbc(Intensity.of(0, 3600));
        CompletableFuture<ExitReason> supExit = node.whenExited(sup);

        crash(node, Trees.pid(node, sup, "a"), "boom");

        assertThat(Trees.join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    void restartsOlderThanThePeriodNoLongerCount() {
        Pid<Supervisor.Msg> sup = startAbc(new Intensity(1, Duration.ofMillis(200)));
        crashAndAwaitRestart(sup, "a");
        assertThat(Trees.report(node, sup).restartsInWindow()).isLessThanOrEqualTo(1);

        // wait for the restart to leave the window (a state, not a sleep)
        eventually().until(() -> Trees.report(node, sup).restartsInWindow() == 0);
        crashAndAwaitRestart(sup, "a");

        assertThat(sup.isAlive()).isTrue();
        assertThat(Trees.report(node, sup).restarts()).isEqualTo(2);
    }

    @Test
    @Timeout(30)
    void restartsThatDoNotRestartAnythingDoNotCount() {
        // transient children ending normally, temporary children: no restart, no intensity used
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("t1", events, Restart.TRANSIENT), worker("t2", events, Restart.TEMPORARY),
                        worker("p", events))).withIntensity(Intensity.of(0, 3600)));
        eventually().until(() -> events.of("start").size() == 3);

        Trees.send(Trees.pid(node, sup, "t1"), new TestWorker.StopWith(ExitReason.NORMAL));
        crash(node, Trees.pid(node, sup, "t2"), "boom");
        Trees.awaitNotRunning(node, sup, "t1");
        Trees.awaitForgotten(node, sup, "t2");

        assertThat(sup.isAlive()).isTrue();
        assertThat(Trees.report(node, sup).restartsInWindow()).isZero();
    }

    // ---------------------------------------------------------------- escalation

    /** top (one_for_one) → mid (one_for_one, at most 1 restart) → w. */
    private Pid<Supervisor.Msg> startTwoLevels(Intensity topIntensity) {
        SupervisorSpec mid = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE, List.of(worker("w", events)))
                .withIntensity(Intensity.of(1, 3600));
        Pid<Supervisor.Msg> top = Supervisor.start(node, SupervisorSpec.of("top", Strategy.ONE_FOR_ONE,
                List.of(worker("before", events), ChildSpec.supervisor("mid", mid), worker("after", events)))
                .withIntensity(topIntensity));
        eventually().until(() -> events.of("start").size() == 3);
        return top;
    }

    private Pid<Supervisor.Msg> mid() {
        return node.<Supervisor.Msg>whereis("mid").orElseThrow();
    }

    /** Crashes mid's worker twice: once is restarted, twice exceeds mid's intensity. */
    private void exhaustMid() {
        Pid<Supervisor.Msg> mid = mid();
        crashAndAwaitRestart(mid, "w");
        crash(node, Trees.pid(node, mid, "w"), "boom again");
    }

    @Test
    @Timeout(30)
    void aChildSupervisorThatExceedsItsIntensityIsRestartedByItsParent() {
        Pid<Supervisor.Msg> top = startTwoLevels(Intensity.of(3, 3600));
        Pid<?> before = Trees.pid(node, top, "before");
        Pid<?> after = Trees.pid(node, top, "after");
        Pid<Supervisor.Msg> oldMid = mid();
        CompletableFuture<ExitReason> oldMidExit = node.whenExited(oldMid);

        exhaustMid();

        assertThat(Trees.join(oldMidExit)).isEqualTo(ExitReason.SHUTDOWN);
        Pid<Supervisor.Msg> newMid = awaitReplaced(node, top, "mid", oldMid);
        eventually().until(() -> node.whereis("mid").isPresent() && node.whereis("mid").get().equals(newMid));
        assertThat(Trees.report(node, newMid).restarts()).as("a fresh supervisor").isZero();
        assertThat(Trees.pid(node, newMid, "w").isAlive()).isTrue();
        ChildInfo midInfo = Trees.child(node, top, "mid");
        assertThat(midInfo.restarts()).isEqualTo(1);
        assertThat(midInfo.lastRestartReason()).isEqualTo("shutdown");
        assertThat(Trees.pid(node, top, "before")).as("one_for_one: siblings untouched").isEqualTo(before);
        assertThat(Trees.pid(node, top, "after")).isEqualTo(after);
    }

    @Test
    @Timeout(30)
    void whenTheParentsIntensityAlsoRunsOutTheParentExitsToo() {
        Pid<Supervisor.Msg> top = startTwoLevels(Intensity.of(1, 3600));
        CompletableFuture<ExitReason> topExit = node.whenExited(top);
        Pid<Supervisor.Msg> firstMid = mid();

        exhaustMid();
        Pid<Supervisor.Msg> secondMid = awaitReplaced(node, top, "mid", firstMid);
        eventually().until(() -> node.whereis("mid").isPresent() && node.whereis("mid").get().equals(secondMid));
        assertThat(top.isAlive()).as("one escalation is within top's intensity").isTrue();
        List<ChildInfo> topChildren = Trees.children(node, top);
        Pid<?> lastW = Trees.pid(node, secondMid, "w");
        exhaustMid();

        assertThat(Trees.join(topExit)).isEqualTo(ExitReason.SHUTDOWN);
        for (ChildInfo c : topChildren) {
            if (c.pid() != null) {
                assertThat(c.pid().isAlive()).as("top's child %s", c.id()).isFalse();
            }
        }
        assertThat(lastW.isAlive()).isFalse();
        assertThat(node.whereis("mid")).isEmpty();
        assertThat(node.whereis("top")).isEmpty();
    }
    @Test
    @Timeout(30)
    void aTransientChildSupervisorThatGivesUpIsNotRestarted() {
        // it exits with shutdown, which a transient child is not restarted after
        SupervisorSpec mid = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE, List.of(worker("w", events)))
                .withIntensity(Intensity.of(1, 3600));
        Pid<Supervisor.Msg> top = Supervisor.start(node, SupervisorSpec.of("top", Strategy.ONE_FOR_ONE,
                List.of(ChildSpec.supervisor("mid", mid).withRestart(Restart.TRANSIENT), worker("other", events))));
        eventually().until(() -> events.of("start").size() == 2);
        CompletableFuture<ExitReason> midExit = node.whenExited(mid());

        exhaustMid();

        assertThat(Trees.join(midExit)).isEqualTo(ExitReason.SHUTDOWN);
        Trees.awaitNotRunning(node, top, "mid");
        assertThat(Trees.report(node, top).restarts()).isZero();
        assertThat(top.isAlive()).isTrue();
    }
}
