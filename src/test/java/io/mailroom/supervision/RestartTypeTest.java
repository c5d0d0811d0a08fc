package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.awaitForgotten;
import static io.mailroom.supervision.Trees.awaitNotRunning;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP's restart types: permanent, transient, temporary. */
@TestNode
class RestartTypeTest {

    private final Node node;
    private final Events events = new Events();

    RestartTypeTest(Node node) {
        this.node = node;
    }

    /** A one_for_one supervisor of child "x" with the given restart type, and a bystander "y". */
    private Pid<Supervisor.Msg> supervise(Restart restart, Strategy strategy) {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", strategy,
                List.of(worker("x", events, restart), worker("y", events))).withIntensity(Intensity.of(10, 60)));
        eventually().until(() -> events.of("start").size() == 2);
        return sup;
    }

    private Pid<Supervisor.Msg> supervise(Restart restart) {
        return supervise(restart, Strategy.ONE_FOR_ONE);
    }

    private void assertNoRestartYet(Pid<Supervisor.Msg> sup) {
        assertThat(events.of("start")).as("nothing was started again").containsExactlyInAnyOrder("x", "y");
        assertThat(Trees.report(node, sup).restarts()).isZero();
    }

    // ---------------------------------------------------------------- permanent

    @Test
    @Timeout(30)
    void permanentChildIsRestartedAfterACrash() {
        Pid<Supervisor.Msg> sup = supervise(Restart.PERMANENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.Throw("boom"));

        assertThat(awaitReplaced(node, sup, "x", x).isAlive()).isTrue();
    }

    @Test
    @Timeout(30)
    void permanentChildIsRestartedAfterANormalExit() {
        Pid<Supervisor.Msg> sup = supervise(Restart.PERMANENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.NORMAL));

        assertThat(awaitReplaced(node, sup, "x", x).isAlive()).isTrue();
        assertThat(Trees.child(node, sup, "x").lastRestartReason()).isEqualTo("normal");
    }

    @Test
    @Timeout(30)
    void permanentChildIsRestartedAfterAShutdownExit() {
        Pid<Supervisor.Msg> sup = supervise(Restart.PERMANENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.SHUTDOWN));

        assertThat(awaitReplaced(node, sup, "x", x).isAlive()).isTrue();
    }

    // ---------------------------------------------------------------- transient

    @Test
    @Timeout(30)
    void transientChildIsNotRestartedAfterANormalExit() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TRANSIENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.NORMAL));

        awaitNotRunning(node, sup, "x");
        assertNoRestartYet(sup);
        assertThat(Trees.ids(node, sup)).as("its spec is kept").containsExactly("x", "y");
    }

    @Test
    @Timeout(30)
    void transientChildIsNotRestartedAfterAShutdownExit() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TRANSIENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.SHUTDOWN));

        awaitNotRunning(node, sup, "x");
        assertNoRestartYet(sup);
    }

    @Test
    @Timeout(30)
    void transientChildIsNotRestartedAfterAShutdownExitWithADetail() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TRANSIENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.shutdown("done")));

        awaitNotRunning(node, sup, "x");
        assertNoRestartYet(sup);
    }

    @Test
    @Timeout(30)
    void transientChildIsRestartedAfterACrash() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TRANSIENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        crash(node, x, "boom");

        assertThat(awaitReplaced(node, sup, "x", x).isAlive()).isTrue();
        assertThat(Trees.child(node, sup, "x").lastRestartReason()).isEqualTo("boom");
    }

    @Test
    @Timeout(30)
    void transientChildIsRestartedAfterBeingKilled() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TRANSIENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        node.exit(x, ExitReason.KILL);

        awaitReplaced(node, sup, "x", x);
        assertThat(Trees.child(node, sup, "x").lastRestartReason()).isEqualTo("killed");
    }

    // ---------------------------------------------------------------- temporary

    @Test
    @Timeout(30)
    void temporaryChildIsNotRestartedAfterACrashAndIsForgotten() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TEMPORARY);
        Pid<?> x = Trees.pid(node, sup, "x");

        crash(node, x, "boom");

        awaitForgotten(node, sup, "x");
        assertNoRestartYet(sup);
        assertThat(Trees.ids(node, sup)).containsExactly("y");
    }

    @Test
    @Timeout(30)
    void temporaryChildIsNotRestartedAfterANormalExitAndIsForgotten() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TEMPORARY);
        Pid<?> x = Trees.pid(node, sup, "x");

        send(x, new TestWorker.StopWith(ExitReason.NORMAL));

        awaitForgotten(node, sup, "x");
        assertNoRestartYet(sup);
    }

    @Test
    @Timeout(30)
    void temporaryChildStoppedBecauseASiblingCrashedIsNotRestarted() {
        // OTP: "a temporary child process is never restarted (even when the supervisor's restart
        // strategy is rest_for_one or one_for_all and a sibling's death causes the temporary
        // process to be terminated)"
        Pid<Supervisor.Msg> sup = supervise(Restart.TEMPORARY, Strategy.ONE_FOR_ALL);
        Map<String, Pid<?>> before = Trees.pids(node, sup);

        crash(node, before.get("y"), "boom");

        Pid<?> y = awaitReplaced(node, sup, "y", before.get("y"));
        eventually().until(() -> events.of("start").size() == 3);
        assertThat(Trees.ids(node, sup)).containsExactly("y");
        assertThat(before.get("x").isAlive()).isFalse();
        assertThat(y.isAlive()).isTrue();
        assertThat(events.of("start")).containsExactlyInAnyOrder("x", "y", "y");
    }

    @Test
    @Timeout(30)
    void terminatingATemporaryChildForgetsIt() {
        Pid<Supervisor.Msg> sup = supervise(Restart.TEMPORARY);
        Pid<?> x = Trees.pid(node, sup, "x");

        assertThat(Trees.join(Supervisor.terminateChild(node, sup, x, Trees.CALL))).isTrue();

        assertThat(Trees.ids(node, sup)).containsExactly("y");
    }

    @Test
    @Timeout(30)
    void terminatingAPermanentChildKeepsItsSpecWithoutRestartingIt() {
        Pid<Supervisor.Msg> sup = supervise(Restart.PERMANENT);
        Pid<?> x = Trees.pid(node, sup, "x");

        assertThat(Trees.join(Supervisor.terminateChild(node, sup, x, Trees.CALL))).isTrue();

        assertThat(Trees.pids(node, sup)).containsEntry("x", null);
        assertThat(x.isAlive()).isFalse();
        assertNoRestartYet(sup);
    }
    @Test
    @Timeout(30)
    void aRestartedChildIsRegisteredUnderItsNameAgain() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ALL, List.of(
                TestWorker.named(worker("x", events), "the-x"), TestWorker.named(worker("y", events), "the-y"))));
        Pid<?> x = Trees.pid(node, sup, "x");
        Pid<?> y = Trees.pid(node, sup, "y");
        assertThat(node.whereis("the-x")).contains(x.narrow());

        crash(node, x, "boom");

        Pid<?> newX = awaitReplaced(node, sup, "x", x);
        Pid<?> newY = Trees.pid(node, sup, "y");
        assertThat(newY).isNotEqualTo(y);
        assertThat(node.whereis("the-x")).contains(newX.narrow());
        assertThat(node.whereis("the-y")).contains(newY.narrow());
    }
}
