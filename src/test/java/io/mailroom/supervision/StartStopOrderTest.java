package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP: "The child processes are started in the order specified by this list, and terminated in the reversed order." */
@TestNode
class StartStopOrderTest {

    private final Node node;
    private final Events events = new Events();

    StartStopOrderTest(Node node) {
        this.node = node;
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
