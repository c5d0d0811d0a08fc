package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP: "The child processes are started in the order specified by this list, and terminated in the reversed order." */
class StartStopOrderTest {

    private Node node;
    private final Events events = new Events();

    @BeforeEach
    void startNode() {
        node = Node.start();
    }

    @AfterEach
    void stopNode() {
        node.shutdown();
    }

    private Pid<Supervisor.Msg> startAbc() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events), worker("b", events), worker("c", events))));
        eventually().until(() -> events.of("start").size() == 3);
        return sup;
    }

    @Test
    @Timeout(30)
    void childrenAreSpawnedInTheOrderOfTheChildSpecs() {
        Pid<Supervisor.Msg> sup = startAbc();

        List<ChildInfo> children = Trees.children(node, sup);
        assertThat(children).extracting(ChildInfo::id).containsExactly("a", "b", "c");
        List<Long> serials = new ArrayList<>();
        for (ChildInfo c : children) {
            assertThat(c.pid().isAlive()).as("child %s is running", c.id()).isTrue();
            serials.add(c.pid().id());
        }
        assertThat(serials).as("pids are handed out in spawn order").isSorted();
        assertThat(events.of("start")).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    @Timeout(30)
    @Disabled("runtime bug: a setup runs asynchronously on the child's first turn, and a process spawned from a "
            + "scheduler thread goes to that worker's runNext slot, displacing the previous one to the back of the "
            + "queue, so the last child spawned runs its setup first (observed: start order c, a, b, 50 of 50 runs). "
            + "OTP's start_link returns only after the child's init; the runtime gives a supervisor no way to wait "
            + "for a child's setup (no init acknowledgement / post-setup hook), so Supervisor cannot serialise it")
    void eachChildIsInitialisedBeforeTheNextOneIsStarted() {
        startAbc();

        assertThat(events.of("start")).containsExactly("a", "b", "c");
    }

    @Test
    @Timeout(30)
    void childrenAreStoppedInReverseStartOrder() {
        Pid<Supervisor.Msg> sup = startAbc();

        ExitReason reason = join(Supervisor.stop(node, sup));

        assertThat(reason).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(events.of("stop")).containsExactly("c", "b", "a");
    }

    @Test
    @Timeout(30)
    void childrenThatAreNotRunningAreSkippedWhenStopping() {
        List<ChildSpec<?>> specs = List.of(worker("a", events), worker("b", events, Restart.TRANSIENT),
                worker("c", events));
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE, specs));
        eventually().until(() -> events.of("start").size() == 3);
        Trees.send(Trees.pid(node, sup, "b"), new TestWorker.StopWith(ExitReason.NORMAL));
        Trees.awaitNotRunning(node, sup, "b");

        join(Supervisor.stop(node, sup));

        assertThat(events.of("stop")).containsExactly("b", "c", "a");
    }
}
