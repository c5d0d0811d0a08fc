package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.stubbornWorker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OTP's {@code terminate_dynamic_children}: a dynamic supervisor that stops signals all its children
 * first, then waits for all of them under one shutdown timer, and kills those left when it runs out.
 */
@TestNode
class DynamicShutdownTest {

    private final Node node;
    private final Events events = new Events();
    private final ConcurrentLinkedQueue<String> shutdownErrors = new ConcurrentLinkedQueue<>();
    private Pid<Supervisor.Msg> sup;

    DynamicShutdownTest(Node node) {
        this.node = node;
    }

    private List<Pid<?>> startStubborn(Shutdown shutdown, String... ids) {
        sup = Supervisor.start(node, SupervisorSpec.dynamic("dyn").withListener(new SupervisorListener() {
            @Override
            public void restarting(String supervisor, String childId, ExitReason reason) {}

            @Override
            public void shutdownError(String supervisor, String childId, ExitReason reason) {
                shutdownErrors.add(childId + ":" + reason);
            }
        }));
        List<Pid<?>> pids = new ArrayList<>();
        for (String id : ids) {
            StartResult r = join(Supervisor.startChild(node, sup, stubbornWorker(id, events, shutdown), CALL));
            pids.add(((StartResult.Started) r).pid());
        }
        eventually().until(() -> events.of("start").size() == ids.length);
        return pids;
    }

    @Test
    @Timeout(30)
    void everyChildIsAskedToStopBeforeAnyOfThemHasEnded() {
        List<Pid<?>> pids = startStubborn(Shutdown.INFINITY, "a", "b", "c");

        CompletableFuture<ExitReason> stopped = Supervisor.stop(node, sup);

        // each holds out until released: a stop one at a time would have asked only "c" so far
        eventually().until(() -> events.of("asked").size() == 3);
        assertThat(events.of("asked")).containsExactlyInAnyOrder("a:shutdown", "b:shutdown", "c:shutdown");
        assertThat(events.of("stop")).isEmpty();
        assertThat(stopped).isNotDone();
        pids.forEach(p -> Trees.send(p, new TestWorker.Release()));

        assertThat(join(stopped)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(events.of("stop")).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(shutdownErrors).as("each ended with shutdown, as asked").isEmpty();
    }

    @Test
    @Timeout(30)
    void childrenThatHoldOutAreKilledWhenTheSharedTimerRunsOutAndReportedAsShutdownErrors() {
        List<Pid<?>> pids = startStubborn(Shutdown.timeout(Duration.ofMillis(200)), "a", "b", "c");
        List<CompletableFuture<ExitReason>> exits = pids.stream().map(node::whenExited).toList();

        join(Supervisor.stop(node, sup));

        for (CompletableFuture<ExitReason> exit : exits) {
            assertThat(join(exit)).isEqualTo(ExitReason.KILLED);
        }
        List<String> all = events.all();
        int firstStop = all.indexOf(all.stream().filter(e -> e.startsWith("stop:")).findFirst().orElseThrow());
        assertThat(all.subList(0, firstStop).stream().filter(e -> e.startsWith("asked:")).toList())
                .as("all were asked before the timer killed any").hasSize(3);
        // OTP reports a child killed after its shutdown timeout as a shutdown_error with reason killed
        assertThat(shutdownErrors).containsExactlyInAnyOrder("a:killed", "b:killed", "c:killed");
    }

    @Test
    @Timeout(60)
    void requestsDeferredWhileManyChildrenStopAreAnsweredOnceAfterwardsInOrder() {
        List<Pid<?>> pids = startStubborn(Shutdown.INFINITY, "slow");
        for (int i = 0; i < 200; i++) {
            join(Supervisor.startChild(node, sup, TestWorker.worker("w" + i, events), CALL));
        }
        CompletableFuture<Boolean> terminated = Supervisor.terminateChild(node, sup, pids.get(0), CALL);
        eventually().until(() -> events.of("asked").contains("slow:shutdown"));
        ConcurrentLinkedQueue<Integer> answered = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<ChildCounts>> counts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            int n = i;
            counts.add(Supervisor.countChildren(node, sup, CALL).whenComplete((r, e) -> answered.add(n)));
        }
        assertThat(counts.get(0)).isNotDone();
        Trees.send(pids.get(0), new TestWorker.Release());

        assertThat(join(terminated)).isTrue();
        for (CompletableFuture<ChildCounts> c : counts) {
            assertThat(join(c)).isEqualTo(new ChildCounts(200, 200, 0, 200));
        }
        assertThat(new ArrayList<>(answered)).isSorted().hasSize(500);
        assertThat(join(Supervisor.stop(node, sup))).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(events.of("stop")).hasSize(201);
    }
}
