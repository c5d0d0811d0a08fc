package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a supervisor tells about itself: {@link SupervisorReport}, and its {@link SupervisorListener}. */
@TestNode
class SupervisorReportTest {

    private final Node node;
    private final Events events = new Events();

    SupervisorReportTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> startAbc(Strategy strategy, SupervisorListener listener) {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", strategy,
                        List.of(worker("a", events), worker("b", events), worker("c", events)))
                .withIntensity(Intensity.of(5, 3600)).withListener(listener));
        eventually().until(() -> events.of("start").size() == 3);
        return sup;
    }

    private void crashAndAwaitRestart(Pid<Supervisor.Msg> sup, String id, String why) {
        Pid<?> old = Trees.pid(node, sup, id);
        crash(node, old, why);
        awaitReplaced(node, sup, id, old);
    }

    @Test
    @Timeout(30)
    void aFreshSupervisorReportsItsSettingsAndNoRestarts() {
        Pid<Supervisor.Msg> sup = startAbc(Strategy.REST_FOR_ONE, SupervisorListener.NONE);

        SupervisorReport report = Trees.report(node, sup);

        assertThat(report.name()).isEqualTo("sup");
        assertThat(report.pid()).isEqualTo(sup);
        assertThat(report.strategy()).isEqualTo(Strategy.REST_FOR_ONE);
        assertThat(report.maxRestarts()).isEqualTo(5);
        assertThat(report.withinSeconds()).isEqualTo(3600);
        assertThat(report.restarts()).isZero();
        assertThat(report.restartsInWindow()).isZero();
        assertThat(report.lastRestartAt()).isNull();
        assertThat(report.lastRestartReason()).isNull();
        assertThat(report.childCount()).isEqualTo(3);
        assertThat(report.truncated()).isFalse();
        assertThat(report.children()).extracting(ChildInfo::id).containsExactly("a", "b", "c");
        assertThat(report.children()).allSatisfy(c -> {
            assertThat(c.restarts()).isZero();
            assertThat(c.lastRestartAt()).isNull();
            assertThat(c.lastRestartReason()).isNull();
        });
    }

    @Test
    @Timeout(30)
    void restartsAreCountedInTotalAndPerChildWithTheLastReasonAndTime() {
        Pid<Supervisor.Msg> sup = startAbc(Strategy.ONE_FOR_ONE, SupervisorListener.NONE);
        Instant before = Instant.now();

        crashAndAwaitRestart(sup, "a", "first");
        crashAndAwaitRestart(sup, "b", "second");
        crashAndAwaitRestart(sup, "a", "third");

        Instant after = Instant.now();
        SupervisorReport report = Trees.report(node, sup);
        assertThat(report.restarts()).isEqualTo(3);
        assertThat(report.restartsInWindow()).isEqualTo(3);
        assertThat(report.lastRestartReason()).isEqualTo("third");
        assertThat(report.lastRestartAt()).isBetween(before, after);
        Map<String, ChildInfo> byId = new java.util.HashMap<>();
        report.children().forEach(c -> byId.put(c.id(), c));
        assertThat(byId.get("a").restarts()).isEqualTo(2);
        assertThat(byId.get("a").lastRestartReason()).isEqualTo("third");
        assertThat(byId.get("a").lastRestartAt()).isEqualTo(report.lastRestartAt());
        assertThat(byId.get("b").restarts()).isEqualTo(1);
        assertThat(byId.get("b").lastRestartReason()).isEqualTo("second");
        assertThat(byId.get("b").lastRestartAt()).isBetween(before, byId.get("a").lastRestartAt());
        assertThat(byId.get("c").restarts()).isZero();
        assertThat(byId.get("c").lastRestartAt()).isNull();
    }

    @Test
    @Timeout(30)
    void aCrashReasonIsReportedAsTheExitReasonText() {
        Pid<Supervisor.Msg> sup = startAbc(Strategy.ONE_FOR_ONE, SupervisorListener.NONE);
        Pid<?> b = Trees.pid(node, sup, "b");

        Trees.send(b, new TestWorker.Throw("bad input"));
        awaitReplaced(node, sup, "b", b);

        assertThat(Trees.child(node, sup, "b").lastRestartReason())
                .isEqualTo("{crash,java.lang.IllegalStateException: bad input}");
    }

    @Test
    @Timeout(30)
    void childrenRestartedWithTheOneThatCrashedCountAsRestarted() {
        // ChildInfo.restarts: "how many times this supervisor restarted it"
        Pid<Supervisor.Msg> sup = startAbc(Strategy.REST_FOR_ONE, SupervisorListener.NONE);
        Map<String, Pid<?>> before = Trees.pids(node, sup);

        crash(node, before.get("b"), "boom");
        awaitReplaced(node, sup, "c", before.get("c"));

        SupervisorReport report = Trees.report(node, sup);
        assertThat(report.restarts()).as("one restart, as intensity counts it").isEqualTo(1);
        assertThat(report.children()).extracting(ChildInfo::id, ChildInfo::restarts, ChildInfo::lastRestartReason)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", 0L, null),
                        org.assertj.core.groups.Tuple.tuple("b", 1L, "boom"),
                        org.assertj.core.groups.Tuple.tuple("c", 1L, "boom"));
    }

    @Test
    @Timeout(30)
    void theChildListIsCutAtTheRequestedLimit() {
        Pid<Supervisor.Msg> sup = startAbc(Strategy.ONE_FOR_ONE, SupervisorListener.NONE);

        SupervisorReport two = join(Supervisor.report(node, sup, 2, CALL));
        SupervisorReport three = join(Supervisor.report(node, sup, 3, CALL));
        SupervisorReport none = join(Supervisor.report(node, sup, 0, CALL));

        assertThat(two.childCount()).isEqualTo(3);
        assertThat(two.truncated()).isTrue();
        assertThat(two.children()).extracting(ChildInfo::id).containsExactly("a", "b");
        assertThat(three.truncated()).isFalse();
        assertThat(three.children()).hasSize(3);
        assertThat(none.childCount()).isEqualTo(3);
        assertThat(none.truncated()).isTrue();
        assertThat(none.children()).isEmpty();
    }

    @Test
    @Timeout(30)
    void childCountIncludesChildrenThatAreNotRunning() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events, Restart.TRANSIENT), worker("b", events))));
        eventually().until(() -> events.of("start").size() == 2);
        Trees.send(Trees.pid(node, sup, "a"), new TestWorker.StopWith(ExitReason.NORMAL));
        Trees.awaitNotRunning(node, sup, "a");

        assertThat(Trees.report(node, sup).childCount()).isEqualTo(2);
        assertThat(join(Supervisor.countChildren(node, sup, CALL))).isEqualTo(new ChildCounts(2, 1, 0, 1));
    }

    record Told(String supervisor, String childId, String reason) {}

    @Test
    @Timeout(30)
    void theListenerIsToldOfEachRestart() {
        ConcurrentLinkedQueue<Told> told = new ConcurrentLinkedQueue<>();
        Pid<Supervisor.Msg> sup = startAbc(Strategy.ONE_FOR_ALL,
                (supervisor, childId, reason) -> told.add(new Told(supervisor, childId, String.valueOf(reason))));

        crashAndAwaitRestart(sup, "b", "first");
        crashAndAwaitRestart(sup, "c", "second");

        assertThat(told).containsExactly(new Told("sup", "b", "first"), new Told("sup", "c", "second"));
    }

    @Test
    @Timeout(30)
    void theListenerIsNotToldOfChildrenThatAreNotRestarted() {
        ConcurrentLinkedQueue<Told> told = new ConcurrentLinkedQueue<>();
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                        List.of(worker("t", events, Restart.TEMPORARY), worker("p", events)))
                .withListener((s, id, reason) -> told.add(new Told(s, id, String.valueOf(reason)))));
        eventually().until(() -> events.of("start").size() == 2);

        crash(node, Trees.pid(node, sup, "t"), "boom");
        Trees.awaitForgotten(node, sup, "t");
        crashAndAwaitRestart(sup, "p", "boom");

        assertThat(told).containsExactly(new Told("sup", "p", "boom"));
    }

    @Test
    @Timeout(30)
    void theListenerIsToldWhenTheIntensityIsExceeded() {
        ConcurrentLinkedQueue<String> told = new ConcurrentLinkedQueue<>();
        SupervisorListener listener = new SupervisorListener() {
            @Override
            public void restarting(String supervisor, String childId, ExitReason reason) {
                told.add("restarting " + childId);
            }

            @Override
            public void intensityExceeded(String supervisor) {
                told.add("gave up " + supervisor);
            }
        };
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events))).withIntensity(Intensity.of(1, 3600)).withListener(listener));
        eventually().until(() -> events.of("start").size() == 1);

        CompletableFuture<ExitReason> supExit = node.whenExited(sup);
        crashAndAwaitRestart(sup, "a", "boom");
        crash(node, Trees.pid(node, sup, "a"), "boom");

        assertThat(join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(told).containsExactly("restarting a", "gave up sup");
    }
}
