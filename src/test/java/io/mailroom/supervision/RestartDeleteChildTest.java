package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP's {@code restart_child} and {@code delete_child}: only for a static child that is not running. */
@TestNode
class RestartDeleteChildTest {

    private final Node node;
    private final Events events = new Events();

    RestartDeleteChildTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> supervise(ChildSpec<?>... children) {
        return Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE, List.of(children)));
    }

    private void terminate(Pid<Supervisor.Msg> sup, String id) {
        assertThat(join(Supervisor.terminateChild(node, sup, Trees.pid(node, sup, id), CALL))).isTrue();
    }

    private StartResult restart(Pid<Supervisor.Msg> sup, String id) {
        return join(Supervisor.restartChild(node, sup, id, CALL));
    }

    private DeleteResult delete(Pid<Supervisor.Msg> sup, String id) {
        return join(Supervisor.deleteChild(node, sup, id, CALL));
    }

    @Test
    @Timeout(30)
    void restartChildStartsATerminatedChildAgainInItsPlace() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events), worker("b", events));
        Pid<?> old = Trees.pid(node, sup, "a");
        terminate(sup, "a");

        StartResult result = restart(sup, "a");

        assertThat(result).isInstanceOf(StartResult.Started.class);
        Pid<?> again = ((StartResult.Started) result).pid();
        assertThat(again).isNotEqualTo(old);
        assertThat(again.isAlive()).isTrue();
        assertThat(Trees.pids(node, sup)).containsExactly(java.util.Map.entry("a", again),
                java.util.Map.entry("b", Trees.pid(node, sup, "b")));
        assertThat(Trees.report(node, sup).restarts()).as("not an automatic restart").isZero();
    }

    @Test
    @Timeout(30)
    void restartChildRestartsATransientChildThatEndedNormally() {
        Pid<Supervisor.Msg> sup = supervise(worker("t", events, Restart.TRANSIENT));
        Trees.send(Trees.pid(node, sup, "t"), new TestWorker.StopWith(ExitReason.NORMAL));
        Trees.awaitNotRunning(node, sup, "t");

        assertThat(restart(sup, "t")).isInstanceOf(StartResult.Started.class);
    }

    @Test
    @Timeout(30)
    void restartChildOfARunningChildIsRefusedAsRunning() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events));
        Pid<?> a = Trees.pid(node, sup, "a");

        assertThat(restart(sup, "a")).isEqualTo(new StartResult.Refused("running"));
        assertThat(Trees.pid(node, sup, "a")).isEqualTo(a);
    }

    @Test
    @Timeout(30)
    void restartChildOfAnUnknownIdIsNotFound() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events));

        assertThat(restart(sup, "nope")).isEqualTo(new StartResult.Refused("not_found"));
        assertThat(delete(sup, "nope")).isEqualTo(DeleteResult.NOT_FOUND);
    }

    @Test
    @Timeout(30)
    void restartChildWhoseStartFailsAnswersTheErrorAndLeavesTheChildStopped() {
        AtomicInteger calls = new AtomicInteger();
        Pid<Supervisor.Msg> sup = supervise(ChildSpec.worker("f", () -> {
            if (calls.incrementAndGet() > 1) {
                throw new IllegalStateException("cannot start f");
            }
            return TestWorker.recording("f", events);
        }));
        terminate(sup, "f");

        StartResult result = restart(sup, "f");

        assertThat(result).isInstanceOf(StartResult.Refused.class);
        assertThat(((StartResult.Refused) result).reason()).contains("cannot start f");
        assertThat(Trees.pids(node, sup)).containsEntry("f", null);
        assertThat(sup.isAlive()).isTrue();
    }

    @Test
    @Timeout(30)
    void deleteChildOfARunningChildIsRefusedAsRunning() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events));

        assertThat(delete(sup, "a")).isEqualTo(DeleteResult.RUNNING);
        assertThat(Trees.ids(node, sup)).containsExactly("a");
    }

    @Test
    @Timeout(30)
    void deleteChildForgetsATerminatedChildSoItsIdCanBeStartedAgain() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events), worker("b", events));
        terminate(sup, "a");
        assertThat(join(Supervisor.startChild(node, sup, worker("a", events), CALL)))
                .isEqualTo(new StartResult.Refused("already_present"));

        assertThat(delete(sup, "a")).isEqualTo(DeleteResult.DELETED);

        assertThat(Trees.ids(node, sup)).containsExactly("b");
        assertThat(restart(sup, "a")).isEqualTo(new StartResult.Refused("not_found"));
        assertThat(join(Supervisor.startChild(node, sup, worker("a", events), CALL)))
                .isInstanceOf(StartResult.Started.class);
        assertThat(Trees.ids(node, sup)).containsExactly("b", "a");
    }

    @Test
    @Timeout(30)
    void aDynamicSupervisorHasNeitherCall() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.dynamic("dyn"));

        assertThat(restart(sup, "a")).isEqualTo(new StartResult.Refused("dynamic"));
        assertThat(delete(sup, "a")).isEqualTo(DeleteResult.DYNAMIC);
    }
}
