package io.mailroom.process;

import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * "Let it crash": a handler that throws kills its own process, with the exception as the exit
 * reason, and nothing else; a storm of crashes leaves the node healthy, and its reports are rate
 * limited.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class CrashTest {

    private final Node node;

    CrashTest(Node node) {
        this.node = node;
    }

    @Test
    void a_handler_that_throws_kills_its_process_with_a_crash_carrying_the_exception() {
        Probe probe = Probe.spawn(node);
        IllegalStateException error = new IllegalStateException("cannot handle this");

        probe.crash(error);

        assertThat(probe.exitReason()).isInstanceOfSatisfying(ExitReason.Crash.class,
                crash -> assertThat(crash.error()).isSameAs(error));
    }

    @Test
    void a_crash_kills_only_the_process_that_crashed() {
        Probe crashing = Probe.spawn(node);
        Probe bystander = Probe.spawn(node);

        crashing.crash(new RuntimeException("only me"));
        crashing.exitReason();

        assertThat(bystander.answers()).isTrue();
        assertThat(node.schedulersAlive()).isTrue();
    }

    @Test
    void a_crash_is_reported_to_monitors_with_its_reason_and_counted() {
        Probe crashing = Probe.spawn(node);
        Probe watcher = Probe.spawn(node);
        MonitorRef ref = watcher.monitor(crashing);
        RuntimeException error = new RuntimeException("reported");

        crashing.crash(error);

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, crashing.pid(), ExitReason.crash(error)));
        eventually().until(() -> node.stats().exitsByReason().get("crash") == 1);
    }

    @Test
    void a_setup_that_throws_crashes_the_new_process() {
        Probe parent = Probe.spawn(node);
        UnsupportedOperationException error = new UnsupportedOperationException("no setup for you");

        ProcessContext.Spawned<Object> child = parent.inside(ctx -> ctx.spawnMonitor(Behaviors.setup(c -> {
            throw error;
        }), SpawnOptions.DEFAULT));

        assertThat(parent.nextDown()).isEqualTo(new Signal.Down(child.ref(), child.pid(), ExitReason.crash(error)));
    }

    @Test
    void a_handler_that_returns_null_crashes_with_a_null_pointer_exception() {
        Probe watcher = Probe.spawn(node);
        Pid<String> pid = node.spawn(Behaviors.receive(m -> null));
        watcher.monitor(pid);

        pid.send("anything");

        assertThat(watcher.nextDown().reason()).isInstanceOfSatisfying(ExitReason.Crash.class,
                crash -> assertThat(crash.error()).isInstanceOf(NullPointerException.class));
    }

    @Test
    void a_handler_that_returns_null_is_logged_with_the_very_exception_its_exit_reason_carries() {
        Logger log = (Logger) LoggerFactory.getLogger("io.mailroom.process.crash");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        try {
            Probe watcher = Probe.spawn(node);
            Pid<String> pid = node.spawn(Behaviors.receive(m -> null));
            watcher.monitor(pid);

            pid.send("anything");

            Throwable carried = ((ExitReason.Crash) watcher.nextDown().reason()).error();
            eventually().until(() -> !captured.list.isEmpty());
            Throwable logged = ((ThrowableProxy) captured.list.getFirst().getThrowableProxy()).getThrowable();
            assertThat(logged).as("the logged exception is the exit reason's, so log and links agree")
                    .isInstanceOf(NullPointerException.class).isSameAs(carried);
        } finally {
            log.detachAppender(captured);
        }
    }

    @Test
    void a_receive_timeout_handler_that_throws_crashes_the_process() {
        Probe parent = Probe.spawn(node);
        RuntimeException error = new RuntimeException("timeout handler failed");

        ProcessContext.Spawned<Object> child = parent.inside(ctx -> ctx.spawnMonitor(
                Behaviors.receive(m -> Behaviors.<Object>same()).receiveTimeout(java.time.Duration.ofMillis(5), c -> {
                    throw error;
                }), SpawnOptions.DEFAULT));

        assertThat(parent.nextDown()).isEqualTo(new Signal.Down(child.ref(), child.pid(), ExitReason.crash(error)));
    }

    @Test
    void a_post_stop_handler_that_throws_does_not_keep_the_exit_from_links_and_monitors() {
        Probe watcher = Probe.spawn(node);
        Probe linked = Probe.spawn(node, SpawnOptions.DEFAULT.trappingExits());
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.stopped(ExitReason.of("leaving")))
                .onSignal((ctx, signal) -> {
                    throw new IllegalStateException("cleanup failed");
                }));
        MonitorRef ref = watcher.monitor(pid);
        linked.link(pid);

        pid.send("stop");

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, pid, ExitReason.of("leaving")));
        assertThat(linked.nextExit()).isEqualTo(new Signal.Exit(pid, ExitReason.of("leaving")));
    }

    @Test
    void a_crash_storm_of_ten_thousand_crashes_leaves_the_node_healthy_and_answering() {
        Probe survivor = Probe.spawn(node);
        int crashes = 10_000;
        List<Pid<String>> doomed = new ArrayList<>(crashes);
        for (int i = 0; i < crashes; i++) {
            doomed.add(node.spawn(Behaviors.receive(m -> {
                throw new IllegalStateException("storm " + m);
            })));
        }

        doomed.forEach(p -> p.send("now"));

        eventually().until(() -> node.stats().exitsByReason().get("crash") == crashes);
        assertThat(node.processCount()).isEqualTo(1);
        assertThat(node.schedulersAlive()).isTrue();
        assertThat(survivor.answers()).isTrue();
        assertThat(Probe.spawn(node).answers()).as("a process spawned after the storm").isTrue();
    }

    @Test
    void crash_reports_are_rate_limited_and_the_rest_are_counted() {
        Logger log = (Logger) LoggerFactory.getLogger("io.mailroom.process.crash");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        boolean additive = log.isAdditive();
        log.setAdditive(false); // keep a storm's worth of stack traces out of the build output
        int perSecond = 5;
        int crashes = 3_000;
        try (Node limited = Node.start(NodeConfig.defaults().withCrashReportsPerSecond(perSecond))) {
            long firstSecond = System.nanoTime() / 1_000_000_000L;
            List<Pid<String>> doomed = new ArrayList<>(crashes);
            for (int i = 0; i < crashes; i++) {
                doomed.add(limited.spawn(Behaviors.receive(m -> {
                    throw new IllegalStateException("storm");
                })));
            }
            doomed.forEach(p -> p.send("now"));
            eventually().until(() -> limited.stats().exitsByReason().get("crash") == crashes);
            long lastSecond = System.nanoTime() / 1_000_000_000L;

            List<ILoggingEvent> events = List.copyOf(captured.list);
            long reported = events.stream().filter(e -> e.getFormattedMessage().contains("crashed handling")).count();
            long summedUp = events.stream().filter(e -> e.getFormattedMessage().contains("suppressed"))
                    .mapToLong(e -> ((Number) e.getArgumentArray()[0]).longValue()).sum();
            long windows = lastSecond - firstSecond + 1;

            assertThat(reported).as("reports logged, at most %s in each of %s seconds", perSecond, windows)
                    .isPositive().isLessThanOrEqualTo(perSecond * windows);
            assertThat(reported + summedUp + limited.crashes.suppressedSoFar())
                    .as("every crash is either reported or counted as suppressed").isEqualTo(crashes);
        } finally {
            log.detachAppender(captured);
            log.setAdditive(additive);
        }
    }
}
