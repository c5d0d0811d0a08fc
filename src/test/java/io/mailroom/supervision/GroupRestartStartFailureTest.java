package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behavior;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OTP's {@code restart_multiple_children}: a group restart starts the children in order and stops
 * at the first that fails to start ({@code start_error} reported); the ones after it are not started.
 * The failed child is then tried again as another restart ({@code try_again_restart}), which for
 * one_for_all stops and starts the whole group again, and for rest_for_one restarts from it on.
 */
@TestNode
class GroupRestartStartFailureTest {

    private final Node node;
    private final Events events = new Events();
    private final ConcurrentLinkedQueue<String> startErrors = new ConcurrentLinkedQueue<>();

    GroupRestartStartFailureTest(Node node) {
        this.node = node;
    }

    /** Fails on its second start only: its first restart. */
    private Supplier<Behavior<TestWorker.Cmd>> failsOnFirstRestart(String id) {
        AtomicInteger calls = new AtomicInteger();
        return () -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("cannot start " + id);
            }
            return TestWorker.recording(id, events);
        };
    }

    private Pid<Supervisor.Msg> start(Strategy strategy) {
        SupervisorListener listener = new SupervisorListener() {
            @Override
            public void restarting(String supervisor, String childId, ExitReason reason) {}

            @Override
            public void startFailed(String supervisor, String childId, ExitReason error) {
                startErrors.add(childId + ":" + error);
            }
        };
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", strategy, List.of(
                        worker("a", events), worker("b", events),
                        ChildSpec.worker("c", failsOnFirstRestart("c")), worker("d", events)))
                .withIntensity(Intensity.of(10, 3600)).withListener(listener));
        eventually().until(() -> events.of("start").size() == 4);
        return sup;
    }

    private void awaitAllRunning(Pid<Supervisor.Msg> sup, Map<String, Pid<?>> before, List<String> replaced) {
        for (String id : replaced) {
            Trees.awaitReplaced(node, sup, id, before.get(id));
        }
    }

    @Test
    @Timeout(30)
    void oneForAllStopsAtTheFailedChildThenRestartsTheWholeGroupAgain() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ALL);
        Map<String, Pid<?>> before = Trees.pids(node, sup);

        crash(node, before.get("a"), "boom");
        awaitAllRunning(sup, before, List.of("a", "b", "c", "d"));
        eventually().until(() -> events.of("start").size() == 10);

        // a, b started; c failed, so d was not started; the retry stopped b, a and started all four
        assertThat(events.of("start")).containsExactly("a", "b", "c", "d", "a", "b", "a", "b", "c", "d");
        assertThat(events.of("stop").subList(4, 6)).containsExactly("b", "a");
        assertThat(startErrors).singleElement().asString().startsWith("c:").contains("cannot start c");
        assertThat(Trees.report(node, sup).restarts()).as("the retry is another restart").isEqualTo(2);
    }

    @Test
    @Timeout(30)
    void restForOneStopsAtTheFailedChildThenRestartsFromItOn() {
        Pid<Supervisor.Msg> sup = start(Strategy.REST_FOR_ONE);
        Map<String, Pid<?>> before = Trees.pids(node, sup);

        crash(node, before.get("b"), "boom");
        awaitAllRunning(sup, before, List.of("b", "c", "d"));
        eventually().until(() -> events.of("start").size() == 7);
        Map<String, Pid<?>> after = Trees.pids(node, sup);

        assertThat(events.of("start")).containsExactly("a", "b", "c", "d", "b", "c", "d");
        assertThat(after.get("a")).as("before the crashed child: untouched").isEqualTo(before.get("a"));
        assertThat(startErrors).singleElement().asString().startsWith("c:");
        assertThat(Trees.report(node, sup).restarts()).isEqualTo(2);
    }

    @Test
    @Timeout(30)
    void theChildrenAfterTheFailedOneAreNotStartedBeforeTheRetry() {
        // a child after the failed one that is started only with the retry: d starts twice, not three times
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ALL);
        Map<String, Pid<?>> before = Trees.pids(node, sup);

        crash(node, before.get("d"), "boom");
        awaitAllRunning(sup, before, List.of("a", "b", "c", "d"));
        eventually().until(() -> events.of("start").size() == 10);

        assertThat(events.of("start").stream().filter("d"::equals).count()).isEqualTo(2);
        assertThat(Trees.children(node, sup)).allSatisfy(c -> assertThat(c.pid()).isNotNull());
    }
}
