package io.mailroom.observe.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.testing.Waits.eventually;

import io.mailroom.testing.TestNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.ChildInfo;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Intensity;
import io.mailroom.supervision.Shutdown;
import io.mailroom.supervision.Strategy;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each supervisor decision a real supervisor reports lands in its own counter, tagged by supervisor. */
@TestNode
class SupervisorMetricsTest {
    private static final Duration CALL = Duration.ofSeconds(10);

    private final Node node;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SupervisorMetrics metrics = new SupervisorMetrics(registry, List.of("known"));

    SupervisorMetricsTest(Node node) {
        this.node = node;
    }

    private double count(String name, String supervisor) {
        var counter = registry.find(name).tag("supervisor", supervisor).counter();
        return counter == null ? Double.NaN : counter.count();
    }

    private static Behavior<Object> idle() {
        return Behaviors.receive(msg -> Behaviors.same());
    }

    /** Traps exits and ignores the supervisor's shutdown, so only a kill after the timeout ends it. */
    private static Behavior<Object> stubborn() {
        return Behaviors.setup(ctx -> {
            ctx.trapExits(true);
            return Behaviors.receive(msg -> Behaviors.same(), (c, signal) -> Behaviors.same());
        });
    }

    private Pid<Object> child(Pid<Supervisor.Msg> sup, String id) {
        List<ChildInfo> children = Supervisor.whichChildren(node, sup, CALL).join();
        return children.stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow().pid().narrow();
    }

    @Test
    void theKnownSupervisorsStartAtZeroInEveryFamily() {
        for (String name : List.of("mailroom.supervisor.restarts", "mailroom.supervisor.start.failures",
                "mailroom.supervisor.shutdown.errors", "mailroom.supervisor.intensity.exceeded")) {
            assertThat(count(name, "known")).as(name).isZero();
        }
    }

    @Test
    @Timeout(30)
    void aRestartThatCannotStartTheChildCountsARestartAndAStartFailure() {
        AtomicInteger starts = new AtomicInteger();
        Supplier<Behavior<Object>> failsOnSecondStart = () -> {
            if (starts.incrementAndGet() == 2) {
                throw new IllegalStateException("cannot start");
            }
            return idle();
        };
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("flaky", Strategy.ONE_FOR_ONE,
                        List.of(ChildSpec.worker("c", failsOnSecondStart)))
                .withIntensity(Intensity.of(10, 3600)).withListener(metrics));
        Pid<Object> first = child(sup, "c");

        node.exit(first, ExitReason.of("boom"));

        // the failed start is retried as another restart, which succeeds (third start)
        eventually().until(() -> starts.get() == 3);
        eventually().until(() -> count("mailroom.supervisor.restarts", "flaky") == 2);
        assertThat(count("mailroom.supervisor.start.failures", "flaky")).isEqualTo(1);
        assertThat(count("mailroom.supervisor.shutdown.errors", "flaky")).isNaN();
    }

    @Test
    @Timeout(30)
    void aChildKilledAfterItsShutdownTimeoutCountsAShutdownError() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("patient", Strategy.ONE_FOR_ONE,
                        List.of(ChildSpec.worker("s", SupervisorMetricsTest::stubborn)
                                .withShutdown(Shutdown.timeout(Duration.ofMillis(50)))))
                .withListener(metrics));

        assertThat(Supervisor.terminateChild(node, sup, child(sup, "s"), CALL).join()).isTrue();

        assertThat(count("mailroom.supervisor.shutdown.errors", "patient")).isEqualTo(1);
        assertThat(count("mailroom.supervisor.restarts", "patient")).isNaN();
    }

    @Test
    @Timeout(30)
    void aSupervisorPastItsIntensityCountsOneGiveUp() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("fragile", Strategy.ONE_FOR_ONE,
                        List.of(ChildSpec.worker("w", SupervisorMetricsTest::idle)))
                .withIntensity(Intensity.of(1, 3600)).withListener(metrics));

        node.exit(child(sup, "w"), ExitReason.of("one"));
        eventually().until(() -> count("mailroom.supervisor.restarts", "fragile") == 1);
        node.exit(child(sup, "w"), ExitReason.of("two"));

        eventually().until(() -> node.info(sup).isEmpty());
        assertThat(count("mailroom.supervisor.intensity.exceeded", "fragile")).isEqualTo(1);
        assertThat(count("mailroom.supervisor.restarts", "fragile")).isEqualTo(1);
    }

    @Test
    void aSupervisorKnownOnlyByItsPidCountsAsUnnamed() {
        metrics.startFailed("<0.12.0>", "c", ExitReason.of("x"));
        metrics.shutdownError("#PID<0.13.0>", "c", ExitReason.KILLED);

        assertThat(count("mailroom.supervisor.start.failures", SupervisorMetrics.UNNAMED)).isEqualTo(1);
        assertThat(count("mailroom.supervisor.shutdown.errors", SupervisorMetrics.UNNAMED)).isEqualTo(1);
    }
}
