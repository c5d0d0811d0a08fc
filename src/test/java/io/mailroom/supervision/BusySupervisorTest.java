package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.stubbornWorker;
import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * While a supervisor waits for a child to stop it handles nothing else: requests and exit signals
 * stay in its mailbox (selective receive) and are served afterwards, in the order they came.
 */
@TestNode
class BusySupervisorTest {

    private final Node node;
    private final Events events = new Events();

    BusySupervisorTest(Node node) {
        this.node = node;
    }

    /** "slow" holds out until released (shutdown infinity); "w" is an ordinary worker. */
    private Pid<Supervisor.Msg> start(Strategy strategy) {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", strategy,
                List.of(worker("w", events), stubbornWorker("slow", events, Shutdown.INFINITY), worker("v", events))));
        eventually().until(() -> events.of("start").size() == 3);
        return sup;
    }

    @Test
    @Timeout(30)
    void requestsSentWhileAChildIsBeingStoppedAreAnsweredAfterwardsInOrder() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ONE);
        Pid<?> slow = Trees.pid(node, sup, "slow");
        ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();

        CompletableFuture<Boolean> terminated = Supervisor.terminateChild(node, sup, slow, CALL)
                .whenComplete((r, e) -> answered.add("terminate"));
        eventually().until(() -> events.of("asked").contains("slow:shutdown"));
        CompletableFuture<List<ChildInfo>> which = Supervisor.whichChildren(node, sup, CALL)
                .whenComplete((r, e) -> answered.add("which"));
        CompletableFuture<ChildCounts> counts = Supervisor.countChildren(node, sup, CALL)
                .whenComplete((r, e) -> answered.add("count"));
        CompletableFuture<SupervisorReport> report = Supervisor.report(node, sup, 10, CALL)
                .whenComplete((r, e) -> answered.add("report"));

        // the supervisor cannot answer while slow lives
        assertThat(terminated).isNotDone();
        assertThat(which).isNotDone();
        assertThat(counts).isNotDone();
        assertThat(report).isNotDone();
        Trees.send(slow, new TestWorker.Release());

        assertThat(join(terminated)).isTrue();
        assertThat(join(which)).extracting(ChildInfo::id, c -> c.pid() != null).containsExactly(
                org.assertj.core.groups.Tuple.tuple("w", true),
                org.assertj.core.groups.Tuple.tuple("slow", false),
                org.assertj.core.groups.Tuple.tuple("v", true));
        assertThat(join(counts)).isEqualTo(new ChildCounts(3, 2, 0, 2));
        assertThat(join(report).childCount()).isEqualTo(3);
        assertThat(answered).containsExactly("terminate", "which", "count", "report");
    }

    @Test
    @Timeout(30)
    void aChildThatCrashesWhileTheSupervisorIsBusyIsRestartedAfterwards() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ONE);
        Pid<?> slow = Trees.pid(node, sup, "slow");
        Pid<?> w = Trees.pid(node, sup, "w");

        CompletableFuture<Boolean> terminated = Supervisor.terminateChild(node, sup, slow, CALL);
        eventually().until(() -> events.of("asked").contains("slow:shutdown"));
        crash(node, w, "boom");
        eventually().until(() -> !w.isAlive());
        assertThat(events.of("start")).as("not restarted while busy").containsOnlyOnce("w");
        Trees.send(slow, new TestWorker.Release());

        assertThat(join(terminated)).isTrue();
        Pid<?> newW = awaitReplaced(node, sup, "w", w);
        assertThat(newW.isAlive()).isTrue();
        assertThat(Trees.report(node, sup).restarts()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void requestsSentDuringAGroupRestartSeeTheGroupRestarted() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ALL);
        List<ChildInfo> before = Trees.children(node, sup);

        // v crashes: the supervisor stops slow (which holds out) before it can restart anyone
        crash(node, before.get(2).pid(), "boom");
        eventually().until(() -> events.of("asked").contains("slow:shutdown"));
        CompletableFuture<List<ChildInfo>> which = Supervisor.whichChildren(node, sup, CALL);
        assertThat(which).isNotDone();
        Trees.send(before.get(1).pid(), new TestWorker.Release());

        List<ChildInfo> after = join(which);
        assertThat(after).extracting(ChildInfo::id).containsExactly("w", "slow", "v");
        for (int i = 0; i < 3; i++) {
            assertThat(after.get(i).pid()).as(after.get(i).id()).isNotNull().isNotEqualTo(before.get(i).pid());
        }
    }
}
