package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.pids;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP's restart strategies: one_for_one, one_for_all, rest_for_one. */
@TestNode
class RestartStrategyTest {

    private final Node node;
    private final Events events = new Events();

    RestartStrategyTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> start(Strategy strategy, String... ids) {
        List<ChildSpec<?>> specs = new ArrayList<>();
        for (String id : ids) {
            specs.add(worker(id, events));
        }
        Pid<Supervisor.Msg> sup = Supervisor.start(node,
                SupervisorSpec.of("sup", strategy, specs).withIntensity(Intensity.of(10, 60)));
        eventually().until(() -> events.of("start").size() == ids.length);
        return sup;
    }

    private static List<Long> serials(Map<String, Pid<?>> pids, String... ids) {
        List<Long> out = new ArrayList<>();
        for (String id : ids) {
            out.add(pids.get(id).id());
        }
        return out;
    }

    @Test
    @Timeout(30)
    void oneForOneRestartsOnlyTheChildThatCrashed() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ONE, "a", "b", "c");
        Map<String, Pid<?>> before = pids(node, sup);
        int seen = events.size();

        crash(node, before.get("b"), "boom");
        Pid<?> newB = awaitReplaced(node, sup, "b", before.get("b"));
        eventually().until(() -> events.of("start").size() == 4);

        Map<String, Pid<?>> after = pids(node, sup);
        assertThat(after.get("a")).isEqualTo(before.get("a"));
        assertThat(after.get("c")).isEqualTo(before.get("c"));
        assertThat(after.get("b")).isEqualTo(newB);
        assertThat(newB.isAlive()).isTrue();
        assertThat(before.get("a").isAlive()).isTrue();
        assertThat(before.get("c").isAlive()).isTrue();
        assertThat(events.since(seen)).containsExactly("stop:b", "start:b");
    }

    @Test
    @Timeout(30)
    void oneForAllStopsTheOthersInReverseOrderThenRestartsAllInStartOrder() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ALL, "a", "b", "c", "d");
        Map<String, Pid<?>> before = pids(node, sup);
        int seen = events.size();

        crash(node, before.get("b"), "boom");
        for (String id : List.of("a", "b", "c", "d")) {
            awaitReplaced(node, sup, id, before.get(id));
        }
        eventually().until(() -> events.of("start").size() == 8);

        Map<String, Pid<?>> after = pids(node, sup);
        for (String id : List.of("a", "b", "c", "d")) {
            assertThat(before.get(id).isAlive()).as("old %s", id).isFalse();
            assertThat(after.get(id).isAlive()).as("new %s", id).isTrue();
        }
        List<String> happened = events.since(seen);
        // the crashed child stopped first; the supervisor then stopped the others, last started first
        assertThat(happened.subList(0, 4)).containsExactly("stop:b", "stop:d", "stop:c", "stop:a");
        // and nothing was started again before all of them were gone
        assertThat(happened.subList(4, 8)).containsExactlyInAnyOrder("start:a", "start:b", "start:c", "start:d");
        assertThat(serials(after, "a", "b", "c", "d")).as("restarted in start order").isSorted();
    }

    @Test
    @Timeout(30)
    void oneForAllInitialisesTheRestartedChildrenInStartOrder() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ALL, "a", "b", "c", "d");
        Map<String, Pid<?>> before = pids(node, sup);
        int seen = events.size();

        crash(node, before.get("b"), "boom");
        eventually().until(() -> events.of("start").size() == 8);

        assertThat(events.since(seen).subList(4, 8)).containsExactly("start:a", "start:b", "start:c", "start:d");
    }

    @Test
    @Timeout(30)
    void restForOneRestartsTheCrashedChildAndThoseStartedAfterIt() {
        Pid<Supervisor.Msg> sup = start(Strategy.REST_FOR_ONE, "a", "b", "c", "d");
        Map<String, Pid<?>> before = pids(node, sup);
        int seen = events.size();

        crash(node, before.get("b"), "boom");
        for (String id : List.of("b", "c", "d")) {
            awaitReplaced(node, sup, id, before.get(id));
        }
        eventually().until(() -> events.of("start").size() == 7);

        Map<String, Pid<?>> after = pids(node, sup);
        assertThat(after.get("a")).as("started before the crashed child: untouched").isEqualTo(before.get("a"));
        assertThat(before.get("a").isAlive()).isTrue();
        List<String> happened = events.since(seen);
        assertThat(happened.subList(0, 3)).containsExactly("stop:b", "stop:d", "stop:c");
        assertThat(happened.subList(3, 6)).containsExactlyInAnyOrder("start:b", "start:c", "start:d");
        assertThat(happened).doesNotContain("stop:a", "start:a");
        assertThat(serials(after, "b", "c", "d")).as("restarted in start order").isSorted();
    }

    @Test
    @Timeout(30)
    void restForOneWithTheLastChildCrashingRestartsOnlyIt() {
        Pid<Supervisor.Msg> sup = start(Strategy.REST_FOR_ONE, "a", "b", "c");
        Map<String, Pid<?>> before = pids(node, sup);
        int seen = events.size();

        crash(node, before.get("c"), "boom");
        awaitReplaced(node, sup, "c", before.get("c"));
        eventually().until(() -> events.of("start").size() == 4);

        Map<String, Pid<?>> after = pids(node, sup);
        assertThat(after.get("a")).isEqualTo(before.get("a"));
        assertThat(after.get("b")).isEqualTo(before.get("b"));
        assertThat(events.since(seen)).containsExactly("stop:c", "start:c");
    }

    @Test
    @Timeout(30)
    void restartedChildrenKeepTheirPlaceInTheStartOrder() {
        Pid<Supervisor.Msg> sup = start(Strategy.ONE_FOR_ONE, "a", "b", "c");
        Pid<?> a = Trees.pid(node, sup, "a");

        crash(node, a, "boom");
        awaitReplaced(node, sup, "a", a);
        eventually().until(() -> events.of("start").size() == 4);
        int seen = events.size();
        Trees.join(Supervisor.stop(node, sup));

        assertThat(events.since(seen)).containsExactly("stop:c", "stop:b", "stop:a");
    }
}
