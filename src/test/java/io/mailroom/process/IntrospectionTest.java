package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.process.ProcessTesting.schedulers;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the node tells about its processes: {@code processes()}, {@code process_info/1}, statistics. */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode(schedulers = 2)
class IntrospectionTest {

    private final Node node;

    IntrospectionTest(Node node) {
        this.node = node;
    }

    // ---------------------------------------------------------------- forEachProcess

    @Test
    void pids_print_as_erlang_by_default_and_as_iex_when_asked_and_parse_back_in_both_forms() {
        Pid<Object> plain = node.spawn(Behaviors.receive(m -> Behaviors.same()));
        assertThat(plain.toString()).isEqualTo("<0." + plain.id() + ".0>");
        try (Node iex = Node.start(schedulers(1).withPidStyle(PidStyle.ELIXIR))) {
            Pid<Object> pid = iex.spawn(Behaviors.receive(m -> Behaviors.same()));
            assertThat(pid.toString()).isEqualTo("#PID<0." + pid.id() + ".0>");
            assertThat(iex.pid(pid.toString())).contains(pid);
            assertThat(iex.pid("<0." + pid.id() + ".0>")).contains(pid);
            assertThat(iex.pid("#PID<0." + pid.id() + ">")).isEmpty();
            assertThat(iex.info(pid).orElseThrow().pid()).isEqualTo(pid.toString());
        }
    }

    @Test
    void for_each_process_visits_every_live_process_once_with_its_type() {
        Set<Pid<?>> spawned = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            spawned.add(Probe.spawn(node, SpawnOptions.ofType("room")).pid());
        }
        for (int i = 0; i < 3; i++) {
            spawned.add(Probe.spawn(node, SpawnOptions.ofType("session")).pid());
        }

        Map<String, Integer> byType = new TreeMap<>();
        Set<Pid<?>> visited = new HashSet<>();
        node.forEachProcess(view -> {
            byType.merge(view.type(), 1, Integer::sum);
            assertThat(visited.add(view.pid())).isTrue();
        });

        assertThat(byType).containsExactly(Map.entry("room", 5), Map.entry("session", 3));
        assertThat(visited).isEqualTo(spawned);
    }

    @Test
    void for_each_process_skips_processes_that_have_ended() {
        Probe alive = Probe.spawn(node);
        Probe ended = Probe.spawn(node);
        ended.stop(ExitReason.NORMAL);
        awaitEnded(node, ended.pid());

        Set<Pid<?>> visited = new HashSet<>();
        node.forEachProcess(view -> visited.add(view.pid()));

        assertThat(visited).containsExactly(alive.pid());
    }

    // ---------------------------------------------------------------- info

    @Test
    void info_shows_links_monitors_and_monitors_held_on_it() {
        Probe a = Probe.spawn(node);
        Probe linked = Probe.spawn(node);
        Probe watched = Probe.spawn(node);
        Probe watcher = Probe.spawn(node);
        a.link(linked);
        a.monitor(watched);
        watcher.monitor(a);

        assertThat(a.answers()).isTrue(); // has handled the monitor signal from watcher
        ProcessInfo info = node.info(a.pid()).orElseThrow();

        assertThat(info.links()).containsExactly(linked.pid().toString());
        assertThat(info.monitors()).containsExactly(watched.pid().toString());
        assertThat(info.monitoredBy()).containsExactly(watcher.pid().toString());
        assertThat(linked.answers()).isTrue();
        assertThat(node.info(linked.pid()).orElseThrow().links()).as("links go both ways").containsExactly(a.pid().toString());
    }

    @Test
    void info_shows_pid_name_type_parent_and_trap_exits() {
        Probe parent = Probe.spawn(node);
        Pid<Object> child = parent.inside(ctx -> ctx.spawn(Behaviors.receive(m -> Behaviors.same()),
                SpawnOptions.named("kid").withType("worker").trappingExits()));

        ProcessInfo info = node.info(child).orElseThrow();

        assertThat(info.pid()).isEqualTo(child.toString());
        assertThat(info.name()).isEqualTo("kid");
        assertThat(info.type()).isEqualTo("worker");
        assertThat(info.parent()).isEqualTo(parent.pid().toString());
        assertThat(info.trapExits()).isTrue();
        assertThat(node.info(parent.pid()).orElseThrow().parent()).as("spawned from outside").isNull();
    }

    @Test
    void info_shows_an_idle_process_waiting_and_one_in_its_handler_running() {
        Probe probe = Probe.spawn(node);

        String inside = probe.inside(ctx -> node.info(ctx.self()).orElseThrow().status());

        assertThat(inside).isEqualTo("running");
        eventually().until(() -> node.info(probe.pid()).orElseThrow().status().equals("waiting"));
    }

    @Test
    void info_of_a_process_that_has_ended_is_empty() {
        Probe probe = Probe.spawn(node);
        probe.stop(ExitReason.NORMAL);
        awaitEnded(node, probe.pid());

        assertThat(node.info(probe.pid())).isEmpty();
    }

    @Test
    void mailbox_depth_counts_the_messages_queued() {
        Probe probe = Probe.spawn(node);

        int depth = probe.inside(ctx -> {
            for (int i = 0; i < 50; i++) {
                ctx.self().send(i);
            }
            return node.info(ctx.self()).orElseThrow().mailbox();
        });

        assertThat(depth).isEqualTo(50);
    }

    record Ping(Pid<String> replyTo) {}

    @Test
    void mailbox_depth_counts_messages_deferred_by_selective_receive() {
        Pid<Object> picky = node.spawn(Behaviors.receive(message -> {
            if (message instanceof Ping ping) {
                ping.replyTo().send("pong");
                return Behaviors.same();
            }
            return Behaviors.unhandled();
        }));
        for (int i = 0; i < 5; i++) {
            picky.send("not yet " + i);
        }

        assertThat(await(node.<Object, String>call(picky, Ping::new, WAIT))).isEqualTo("pong");

        assertThat(node.info(picky).orElseThrow().mailbox()).isEqualTo(5);
        int[] fromView = {-1};
        node.forEachProcess(view -> {
            if (view.pid() == picky) {
                fromView[0] = view.mailboxDepth();
            }
        });
        assertThat(fromView[0]).isEqualTo(5);
    }

    @Test
    void reductions_count_the_messages_handled() {
        Pid<Integer> pid = node.spawn(Behaviors.receive(n -> Behaviors.same()));

        for (int i = 0; i < 100; i++) {
            pid.send(i);
        }

        eventually().until(() -> node.info(pid).orElseThrow().reductions() == 100);
    }

    // ---------------------------------------------------------------- stats

    @Test
    void stats_count_processes_spawned_and_alive() {
        for (int i = 0; i < 10; i++) {
            Probe.spawn(node);
        }
        Probe ended = Probe.spawn(node);
        ended.stop(ExitReason.NORMAL);
        awaitEnded(node, ended.pid());

        NodeStats stats = node.stats();

        assertThat(stats.spawned()).isEqualTo(11);
        assertThat(stats.alive()).isEqualTo(10).isEqualTo(node.processCount());
    }

    @Test
    void stats_count_exits_by_reason() {
        Probe.spawn(node).stop(ExitReason.NORMAL);
        Probe.spawn(node).stop(ExitReason.SHUTDOWN);
        Probe.spawn(node).stop(ExitReason.shutdown("maintenance"));
        Probe.spawn(node).crash(new RuntimeException("crash"));
        node.exit(Probe.spawn(node).pid(), ExitReason.KILL);
        Probe dead = Probe.spawn(node);
        dead.stop(ExitReason.NORMAL);
        awaitEnded(node, dead.pid());
        Probe.spawn(node).link(dead.pid()); // dies with noproc
        Probe.spawn(node).stop(ExitReason.of("custom"));

        eventually().untilAsserted(() -> assertThat(node.stats().exitsByReason()).containsExactly(
                Map.entry("normal", 2L), Map.entry("shutdown", 2L), Map.entry("crash", 1L),
                Map.entry("killed", 1L), Map.entry("noproc", 1L), Map.entry("other", 1L)));
    }

    @Test
    void stats_count_messages_sent_from_outside_and_from_processes() {
        Pid<Integer> sink = node.spawn(Behaviors.receive(n -> Behaviors.same()));
        Pid<Integer> forwarder = node.spawn(Behaviors.receive(n -> {
            sink.send(n);
            return Behaviors.same();
        }));
        long before = node.stats().messagesSent();

        for (int i = 0; i < 10; i++) {
            sink.send(i);      // from outside
            forwarder.send(i); // from outside, then from the forwarder
        }

        eventually().until(() -> node.info(sink).orElseThrow().reductions() == 20);
        eventually().until(() -> node.stats().messagesSent() - before == 30);
    }

    @Test
    void scheduler_stats_have_one_entry_per_scheduler_and_the_schedulers_are_alive() {
        assertThat(node.schedulerStats()).hasSize(2).extracting(SchedulerStats::index).containsExactly(0, 1);
        assertThat(node.schedulersAlive()).isTrue();
        assertThat(node.isShutdown()).isFalse();
    }
}
