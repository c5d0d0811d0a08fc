package io.mailroom.supervision;

import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import io.mailroom.process.Pid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of children ending (crash, normal, shutdown) against a supervisor with a random
 * strategy, random restart types and a random intensity always leave the tree as OTP's rules say:
 * the same children known, the same ones running, the same restart counts ({@link OtpModel}).
 */
class SupervisorModelPropertiesTest {

    /** One child ends: the {@code pick}-th of the children running at that moment, modulo their number. */
    record Step(int pick, OtpModel.Ending ending) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.of(OtpModel.Ending.class)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void staticSupervisorFollowsOtpRules(@ForAll Strategy strategy,
                                         @ForAll @Size(min = 1, max = 5) List<Restart> types,
                                         @ForAll @IntRange(min = 0, max = 10) int maxRestarts,
                                         @ForAll("steps") List<Step> steps) {
        assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run(new OtpModel(strategy, false, maxRestarts, types), steps));
    }

    @Property(tries = 30, shrinking = ShrinkingMode.BOUNDED)
    void dynamicSupervisorFollowsOtpRules(@ForAll @Size(min = 1, max = 5) List<Restart> types,
                                          @ForAll @IntRange(min = 0, max = 10) int maxRestarts,
                                          @ForAll("steps") List<Step> steps) {
        assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run(new OtpModel(Strategy.ONE_FOR_ONE, true, maxRestarts, types), steps));
    }

    private static void run(OtpModel model, List<Step> steps) {
        try (Node node = Node.start(NodeConfig.defaults().withCrashReportsPerSecond(1))) {
            Pid<Supervisor.Msg> sup = start(node, model);
            CompletableFuture<ExitReason> supExit = node.whenExited(sup);
            check(node, sup, model, Map.of(), List.of());
            for (Step step : steps) {
                List<OtpModel.Child> running = model.running();
                if (running.isEmpty()) {
                    break;
                }
                OtpModel.Child child = running.get(step.pick() % running.size());
                Map<String, Pid<?>> before = Trees.pids(node, sup);
                Pid<?> pid = before.get(child.id);

                end(node, pid, step.ending());
                OtpModel.Outcome outcome = model.end(child, step.ending());

                if (outcome.supervisorExited()) {
                    assertThat(join(supExit)).isEqualTo(ExitReason.SHUTDOWN);
                    for (Pid<?> p : before.values()) {
                        if (p != null) {
                            assertThat(p.isAlive()).as("%s after the supervisor gave up", p).isFalse();
                        }
                    }
                    return;
                }
                awaitSettled(node, sup, child.id, pid, outcome);
                check(node, sup, model, before, outcome.restarted());
            }
        }
    }

    private static Pid<Supervisor.Msg> start(Node node, OtpModel model) {
        Events ignored = new Events();
        List<ChildSpec<?>> specs = new ArrayList<>();
        for (OtpModel.Child c : model.children) {
            specs.add(TestWorker.worker(c.id, ignored, c.restart));
        }
        Intensity intensity = Intensity.of(model.maxRestarts, 3600);
        if (!model.dynamic) {
            return Supervisor.start(node, SupervisorSpec.of(null, model.strategy, specs).withIntensity(intensity));
        }
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.dynamic(null).withIntensity(intensity));
        for (ChildSpec<?> spec : specs) {
            assertThat(join(Supervisor.startChild(node, sup, spec, CALL))).isInstanceOf(StartResult.Started.class);
        }
        return sup;
    }

    private static void end(Node node, Pid<?> pid, OtpModel.Ending ending) {
        switch (ending) {
            case CRASH -> node.exit(pid, ExitReason.of("crash"));
            case NORMAL -> Trees.send(pid, new TestWorker.StopWith(ExitReason.NORMAL));
            case SHUTDOWN -> Trees.send(pid, new TestWorker.StopWith(ExitReason.SHUTDOWN));
        }
    }

    /**
     * Waits until the supervisor has handled the ending: the child runs in a new process, or is
     * forgotten, or is known but not running. A supervisor answers nothing in the middle of a
     * restart, so once the child that ended is seen restarted, its whole group is.
     */
    private static void awaitSettled(Node node, Pid<Supervisor.Msg> sup, String id, Pid<?> old,
                                     OtpModel.Outcome outcome) {
        if (!outcome.restarted().isEmpty()) {
            Trees.awaitReplaced(node, sup, id, old);
        } else if (outcome.forgotten()) {
            Trees.awaitForgotten(node, sup, id);
        } else {
            Trees.awaitNotRunning(node, sup, id);
        }
    }

    private static void check(Node node, Pid<Supervisor.Msg> sup, OtpModel model, Map<String, Pid<?>> before,
                              List<String> restarted) {
        SupervisorReport report = Trees.report(node, sup);
        List<ChildInfo> children = report.children();
        assertThat(children).extracting(ChildInfo::id).as("children known, in start order")
                .containsExactlyElementsOf(model.children.stream().map(c -> c.id).toList());
        Map<String, ChildInfo> byId = new HashMap<>();
        children.forEach(c -> byId.put(c.id(), c));
        for (OtpModel.Child expected : model.children) {
            ChildInfo actual = byId.get(expected.id);
            assertThat(actual.pid() != null).as("%s running", expected.id).isEqualTo(expected.running);
            assertThat(actual.restarts()).as("%s restarts", expected.id).isEqualTo(expected.restarts);
            assertThat(actual.lastRestartReason()).as("%s last restart reason", expected.id)
                    .isEqualTo(expected.lastRestartReason);
            Pid<?> old = before.get(expected.id);
            if (actual.pid() != null) {
                assertThat(actual.pid().isAlive()).as("%s alive", expected.id).isTrue();
                if (restarted.contains(expected.id)) {
                    assertThat(actual.pid()).as("%s restarted", expected.id).isNotEqualTo(old);
                } else if (old != null) {
                    assertThat(actual.pid()).as("%s untouched", expected.id).isEqualTo(old);
                }
            }
            if (old != null && restarted.contains(expected.id)) {
                assertThat(old.isAlive()).as("old %s stopped", expected.id).isFalse();
            }
        }
        assertThat(report.restarts()).as("total restarts").isEqualTo(model.restarts);
        assertThat(report.restartsInWindow()).as("restarts in window").isEqualTo((int) model.restarts);
        assertThat(report.lastRestartReason()).isEqualTo(model.lastRestartReason);
        ChildCounts counts = join(Supervisor.countChildren(node, sup, CALL));
        assertThat(counts.specs()).isEqualTo(model.children.size());
        assertThat(counts.active()).isEqualTo(model.running().size());
    }
}
