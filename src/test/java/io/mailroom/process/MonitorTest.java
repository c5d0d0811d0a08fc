package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Monitors, as Erlang's {@code monitor(process, Pid)}: one {@code 'DOWN'} message per monitor, with
 * the exit reason (or {@code noproc}), never killing the watcher; unidirectional; removable.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode(schedulers = 2)
class MonitorTest {

    private final Node node;

    MonitorTest(Node node) {
        this.node = node;
    }

    private Probe probe() {
        return Probe.spawn(node);
    }

    @Test
    void a_monitor_delivers_exactly_one_down_with_the_exit_reason() {
        Probe target = probe();
        Probe watcher = probe();
        MonitorRef ref = watcher.monitor(target);

        target.stop(ExitReason.of("done for"));
        awaitEnded(node, target.pid());

        assertThat(watcher.received()).containsExactly(new Signal.Down(ref, target.pid(), ExitReason.of("done for")));
    }

    @Test
    void a_normal_exit_is_reported_too() {
        Probe target = probe();
        Probe watcher = probe();
        MonitorRef ref = watcher.monitor(target);

        target.stop(ExitReason.NORMAL);

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, target.pid(), ExitReason.NORMAL));
    }

    @Test
    void monitoring_a_process_that_is_already_dead_gives_a_down_with_noproc() {
        Probe target = probe();
        target.stop(ExitReason.NORMAL);
        awaitEnded(node, target.pid());
        Probe watcher = probe();

        MonitorRef ref = watcher.monitor(target);

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, target.pid(), ExitReason.NOPROC));
    }

    @Test
    void a_down_never_kills_the_watcher_whatever_the_reason() {
        Probe target = probe();
        Probe watcher = probe();
        MonitorRef ref = watcher.monitor(target);
        RuntimeException error = new RuntimeException("target failed");

        target.crash(error);

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, target.pid(), ExitReason.crash(error)));
        assertThat(watcher.answers()).isTrue();
    }

    @Test
    void each_monitor_gets_its_own_down_with_its_own_ref() {
        Probe target = probe();
        Probe watcher = probe();
        MonitorRef first = watcher.monitor(target);
        MonitorRef second = watcher.monitor(target);

        target.stop(ExitReason.SHUTDOWN);
        awaitEnded(node, target.pid());

        assertThat(first).isNotEqualTo(second);
        assertThat(watcher.received()).containsExactlyInAnyOrder(
                new Signal.Down(first, target.pid(), ExitReason.SHUTDOWN),
                new Signal.Down(second, target.pid(), ExitReason.SHUTDOWN));
    }

    @Test
    void demonitor_before_the_target_dies_means_no_down() {
        Probe target = probe();
        Probe watcher = probe();
        MonitorRef ref = watcher.monitor(target);

        watcher.demonitor(ref);
        target.stop(ExitReason.of("gone"));
        awaitEnded(node, target.pid());

        assertThat(watcher.received()).isEmpty();
    }

    @Test
    void demonitor_discards_a_down_already_in_the_mailbox() {
        Probe target = probe();
        Probe watcher = probe();

        // All in one turn of the watcher: monitor, kill the target, wait until its Down is in the
        // watcher's mailbox, then demonitor. The Down must never be handled.
        watcher.inside(ctx -> {
            MonitorRef ref = ctx.monitor(target.pid());
            ctx.node().exit(target.pid(), ExitReason.KILL);
            awaitEnded(node, target.pid());
            ctx.demonitor(ref);
            return null;
        });

        assertThat(watcher.received()).isEmpty();
    }

    @Test
    void monitors_are_unidirectional_the_target_hears_nothing_when_the_watcher_dies() {
        Probe target = probe();
        Probe watcher = probe();
        watcher.monitor(target);

        watcher.stop(ExitReason.of("watcher gone"));
        awaitEnded(node, watcher.pid());

        assertThat(target.answers()).isTrue();
        assertThat(target.received()).isEmpty();
    }

    @Test
    void a_dead_watchers_monitor_is_removed_from_its_target() {
        Probe target = probe();
        Probe watcher = probe();
        watcher.monitor(target);
        assertThat(target.answers()).isTrue(); // it has handled the monitor signal
        assertThat(node.info(target.pid()).orElseThrow().monitoredBy()).containsExactly(watcher.pid().toString());

        watcher.stop(ExitReason.NORMAL);
        awaitEnded(node, watcher.pid());

        eventually().until(() -> node.info(target.pid()).orElseThrow().monitoredBy().isEmpty());
    }

    @Test
    void spawn_monitor_returns_the_pid_and_the_ref_whose_down_arrives_when_the_child_ends() {
        Probe parent = probe();

        Probe.Monitored spawned = parent.spawnMonitored();
        spawned.child().stop(ExitReason.of("finished"));

        assertThat(parent.nextDown()).isEqualTo(new Signal.Down(spawned.ref(), spawned.child().pid(), ExitReason.of("finished")));
    }

    @Test
    void spawn_monitor_does_not_link() {
        Probe parent = probe();

        Probe.Monitored spawned = parent.spawnMonitored();
        spawned.child().crash(new RuntimeException("child crash"));

        assertThat(parent.nextDown().reason()).isInstanceOf(ExitReason.Crash.class);
        assertThat(parent.answers()).isTrue();
    }

    @Test
    void when_exited_is_a_monitor_from_outside_completing_with_the_exit_reason() {
        Probe target = probe();
        var exited = node.whenExited(target.pid());

        target.stop(ExitReason.of("done"));

        assertThat(ProcessTesting.await(exited)).isEqualTo(ExitReason.of("done"));
    }

    @Test
    void when_exited_for_a_process_that_is_already_dead_completes_with_noproc() {
        Probe target = probe();
        target.stop(ExitReason.NORMAL);
        awaitEnded(node, target.pid());

        assertThat(ProcessTesting.await(node.whenExited(target.pid()))).isEqualTo(ExitReason.NOPROC);
    }

    @Test
    void a_monitor_set_up_while_the_target_is_being_killed_reports_exactly_once_killed_or_noproc() {
        for (int round = 0; round < 300; round++) {
            Probe target = probe();
            Probe watcher = probe();

            node.exit(target.pid(), ExitReason.KILL); // races with the monitor below
            MonitorRef ref = watcher.monitor(target);
            awaitEnded(node, target.pid());

            List<Object> received = watcher.received();
            assertThat(received).hasSize(1);
            Signal.Down down = (Signal.Down) received.get(0);
            assertThat(down.ref()).isEqualTo(ref);
            assertThat(down.reason()).isIn(ExitReason.KILLED, ExitReason.NOPROC);
            node.exit(watcher.pid(), ExitReason.KILL);
        }
    }

    /**
     * A supervisor restarts a process on its exit signal; whoever watched the process must have its
     * DOWN before it can hear from the successor. So every DOWN is in its watcher's mailbox before
     * any link hears of the end: a process linked to the target writes to every watcher on its exit,
     * and each watcher must see the DOWN first. Many watchers, so that delivering their DOWNs takes
     * long enough for the linked process, on the other scheduler, to overtake them if it could.
     */
    @Test
    void every_watcher_has_its_down_before_anything_a_linked_process_does_on_the_exit() {
        int watchers = 500;
        for (int round = 0; round < 20; round++) {
            Probe target = probe();
            List<Pid<Object>> pids = new ArrayList<>(watchers);
            List<CompletableFuture<List<String>>> orders = new ArrayList<>(watchers);
            for (int i = 0; i < watchers; i++) {
                CompletableFuture<List<String>> order = new CompletableFuture<>();
                orders.add(order);
                pids.add(node.spawn(Behaviors.setup(ctx -> {
                    ctx.monitor(target.pid());
                    List<String> seen = new ArrayList<>(2);
                    return Behaviors.receive(message -> noted(seen, String.valueOf(message), order),
                            (c, signal) -> noted(seen, signal instanceof Signal.Down ? "DOWN" : signal.toString(), order));
                })));
            }
            node.spawn(Behaviors.<Object>setup(ctx -> {
                ctx.trapExits(true);
                ctx.link(target.pid());
                return Behaviors.receive(message -> Behaviors.same(), (c, signal) -> {
                    if (signal instanceof Signal.Exit) {
                        pids.forEach(p -> p.send("after the exit"));
                    }
                    return Behaviors.same();
                });
            }));
            assertThat(target.answers()).as("a barrier: the target has taken every link and monitor").isTrue();

            target.stop(ExitReason.of("boom"));

            for (int i = 0; i < watchers; i++) {
                assertThat(ProcessTesting.await(orders.get(i))).as("round %d, watcher %d", round, i)
                        .containsExactly("DOWN", "after the exit");
            }
        }
    }

    private static Behavior<Object> noted(List<String> seen, String what, CompletableFuture<List<String>> order) {
        seen.add(what);
        if (seen.size() == 2) {
            order.complete(List.copyOf(seen));
        }
        return Behaviors.same();
    }
}
