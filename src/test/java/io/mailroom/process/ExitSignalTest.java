package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.awaitEnded;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exit signals, one test per row of the Erlang reference manual's rules for receiving them
 * ("Processes", Receiving Exit Signals), over links and from {@link Node#exit}:
 * <ul>
 *   <li>reason {@code kill} sent with exit/2: the receiver dies, trapping or not, with {@code killed};</li>
 *   <li>the receiver traps exits: the signal becomes a message {@code {'EXIT', From, Reason}};</li>
 *   <li>reason {@code normal}: ignored;</li>
 *   <li>any other reason: the receiver dies with the same reason.</li>
 * </ul>
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class ExitSignalTest {

    private static final ExitReason BOOM = ExitReason.of("boom");

    private final Node node;

    ExitSignalTest(Node node) {
        this.node = node;
    }

    private Probe probe() {
        return Probe.spawn(node);
    }

    private Probe trappingProbe() {
        return Probe.spawn(node, SpawnOptions.DEFAULT.trappingExits());
    }

    /** Ends {@code probe} with {@code reason} and waits until its links and monitors have been told. */
    private void stopAndWait(Probe probe, ExitReason reason) {
        probe.stop(reason);
        awaitEnded(node, probe.pid());
    }

    // ---------------------------------------------------------------- over links

    @Test
    void a_normal_exit_over_a_link_is_ignored_by_a_process_not_trapping_exits() {
        Probe a = probe();
        Probe b = probe();
        a.link(b);

        stopAndWait(a, ExitReason.NORMAL);

        assertThat(b.answers()).isTrue();
        assertThat(b.received()).isEmpty();
    }

    @Test
    void a_normal_exit_over_a_link_arrives_as_an_exit_message_at_a_process_trapping_exits() {
        Probe a = probe();
        Probe b = trappingProbe();
        a.link(b);

        stopAndWait(a, ExitReason.NORMAL);

        assertThat(b.nextExit()).isEqualTo(new Signal.Exit(a.pid(), ExitReason.NORMAL));
        assertThat(b.answers()).isTrue();
    }

    @Test
    void an_abnormal_exit_over_a_link_kills_a_process_not_trapping_exits_with_the_same_reason() {
        Probe a = probe();
        Probe b = probe();
        a.link(b);

        a.stop(BOOM);

        assertThat(b.exitReason()).isEqualTo(BOOM);
        assertThat(b.drain()).as("no message: the signal killed it").isEmpty();
    }

    @Test
    void an_abnormal_exit_over_a_link_arrives_as_an_exit_message_at_a_process_trapping_exits() {
        Probe a = probe();
        Probe b = trappingProbe();
        a.link(b);

        stopAndWait(a, BOOM);

        assertThat(b.nextExit()).isEqualTo(new Signal.Exit(a.pid(), BOOM));
        assertThat(b.answers()).as("a trapping process lives on").isTrue();
    }

    @Test
    void a_shutdown_exit_over_a_link_kills_a_process_not_trapping_exits() {
        Probe a = probe();
        Probe b = probe();
        a.link(b);

        a.stop(ExitReason.SHUTDOWN);

        assertThat(b.exitReason()).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    void links_are_bidirectional() {
        Probe a = probe();
        Probe b = probe();
        b.link(a); // b asks, a is the one that dies

        a.stop(BOOM);

        assertThat(b.exitReason()).isEqualTo(BOOM);
    }

    @Test
    void linking_twice_is_one_link() {
        Probe a = probe();
        Probe b = trappingProbe();
        b.link(a);
        b.link(a);
        a.link(b);

        stopAndWait(a, BOOM);

        assertThat(b.received()).containsExactly(new Signal.Exit(a.pid(), BOOM));
    }

    @Test
    void an_exit_propagates_along_a_chain_of_links_with_the_same_reason() {
        Probe a = probe();
        Probe b = probe();
        Probe c = probe();
        Probe end = trappingProbe();
        a.link(b);
        b.link(c);
        c.link(end);

        a.stop(BOOM);

        assertThat(end.nextExit()).isEqualTo(new Signal.Exit(c.pid(), BOOM));
        assertThat(b.exitReason()).isEqualTo(BOOM);
        assertThat(c.exitReason()).isEqualTo(BOOM);
    }

    @Test
    void a_crash_propagates_over_links_as_a_crash_carrying_the_exception() {
        Probe a = probe();
        Probe b = probe();
        Probe c = trappingProbe();
        a.link(b);
        a.link(c);
        IllegalStateException error = new IllegalStateException("bad state");

        a.crash(error);

        ExitReason reason = b.exitReason();
        assertThat(reason).isInstanceOfSatisfying(ExitReason.Crash.class, crash -> assertThat(crash.error()).isSameAs(error));
        assertThat(reason.toString()).startsWith("{crash,").contains("bad state");
        assertThat(c.nextExit()).isEqualTo(new Signal.Exit(a.pid(), ExitReason.crash(error)));
    }

    @Test
    void linking_to_a_dead_process_gives_a_noproc_exit_that_kills_a_process_not_trapping_exits() {
        Probe dead = probe();
        stopAndWait(dead, ExitReason.NORMAL);
        Probe b = probe();

        b.link(dead.pid());

        assertThat(b.exitReason()).isEqualTo(ExitReason.NOPROC);
    }

    @Test
    void linking_to_a_dead_process_gives_a_noproc_exit_message_to_a_process_trapping_exits() {
        Probe dead = probe();
        stopAndWait(dead, ExitReason.NORMAL);
        Probe b = trappingProbe();

        b.link(dead.pid());

        assertThat(b.nextExit()).isEqualTo(new Signal.Exit(dead.pid(), ExitReason.NOPROC));
        assertThat(b.answers()).isTrue();
    }

    @Test
    void unlink_stops_an_exit_from_propagating() {
        Probe a = probe();
        Probe b = probe();
        a.link(b);
        a.unlink(b);

        stopAndWait(a, BOOM);

        assertThat(b.answers()).isTrue();
    }

    @Test
    void unlink_by_the_other_side_also_stops_an_exit_from_propagating() {
        Probe a = probe();
        Probe b = trappingProbe();
        a.link(b);
        b.unlink(a);

        stopAndWait(a, BOOM);

        assertThat(b.received()).as("no exit message either").isEmpty();
    }

    @Test
    void a_process_trapping_exits_can_stop_trapping_and_then_dies_of_an_abnormal_exit() {
        Probe a = probe();
        Probe b = trappingProbe();
        a.link(b);
        b.trapExits(false);

        a.stop(BOOM);

        assertThat(b.exitReason()).isEqualTo(BOOM);
    }

    // ---------------------------------------------------------------- spawn_link

    @Test
    void spawn_link_links_the_child_so_its_crash_reaches_the_parent() {
        Probe parent = trappingProbe();
        Probe child = parent.spawnLinked(SpawnOptions.DEFAULT);
        RuntimeException error = new RuntimeException("child failed");

        child.crash(error);

        assertThat(parent.nextExit()).isEqualTo(new Signal.Exit(child.pid(), ExitReason.crash(error)));
    }

    @Test
    void spawn_link_links_the_child_so_the_parents_death_kills_it() {
        Probe parent = probe();
        Probe child = parent.spawnLinked(SpawnOptions.DEFAULT);

        parent.stop(ExitReason.SHUTDOWN);

        assertThat(child.exitReason()).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    void a_child_that_dies_in_its_setup_still_signals_its_spawn_link_parent() {
        Probe parent = trappingProbe();
        IllegalArgumentException error = new IllegalArgumentException("bad arguments");

        Pid<Object> child = parent.inside(ctx -> ctx.spawnLink(Behaviors.setup(c -> {
            throw error;
        })));

        assertThat(parent.nextExit()).isEqualTo(new Signal.Exit(child, ExitReason.crash(error)));
    }

    // ---------------------------------------------------------------- Node.exit (exit/2)

    @Test
    void exit_with_kill_kills_a_process_not_trapping_exits_with_reason_killed() {
        Probe b = probe();

        node.exit(b.pid(), ExitReason.KILL);

        assertThat(b.exitReason()).isEqualTo(ExitReason.KILLED);
    }

    @Test
    void exit_with_kill_kills_even_a_process_trapping_exits_with_reason_killed() {
        Probe b = trappingProbe();

        node.exit(b.pid(), ExitReason.KILL);

        assertThat(b.exitReason()).isEqualTo(ExitReason.KILLED);
        assertThat(b.drain()).as("kill is never turned into a message").isEmpty();
    }

    @Test
    void processes_linked_to_a_killed_process_not_trapping_exits_die_with_killed() {
        Probe a = trappingProbe();
        Probe b = probe();
        a.link(b);

        node.exit(a.pid(), ExitReason.KILL);

        assertThat(b.exitReason()).isEqualTo(ExitReason.KILLED);
    }

    @Test
    void processes_linked_to_a_killed_process_trapping_exits_receive_killed_not_kill() {
        Probe a = probe();
        Probe b = trappingProbe();
        a.link(b);

        node.exit(a.pid(), ExitReason.KILL);

        assertThat(b.nextExit()).isEqualTo(new Signal.Exit(a.pid(), ExitReason.KILLED));
        assertThat(b.answers()).as("killed over a link is trappable").isTrue();
    }

    @Test
    void exit_with_normal_is_ignored_by_a_process_not_trapping_exits() {
        Probe b = probe();

        node.exit(b.pid(), ExitReason.NORMAL);

        assertThat(b.answers()).isTrue();
        assertThat(b.received()).isEmpty();
    }

    @Test
    void exit_with_normal_arrives_as_an_exit_message_at_a_process_trapping_exits() {
        Probe b = trappingProbe();

        node.exit(b.pid(), ExitReason.NORMAL);

        assertThat(b.nextExit().reason()).isEqualTo(ExitReason.NORMAL);
        assertThat(b.answers()).isTrue();
    }

    @Test
    void exit_with_any_other_reason_kills_a_process_not_trapping_exits_with_that_reason() {
        Probe b = probe();

        node.exit(b.pid(), ExitReason.shutdown("maintenance"));

        assertThat(b.exitReason()).isEqualTo(ExitReason.shutdown("maintenance"));
    }

    @Test
    void exit_with_any_other_reason_arrives_as_an_exit_message_at_a_process_trapping_exits() {
        Probe b = trappingProbe();

        node.exit(b.pid(), BOOM);

        assertThat(b.nextExit().reason()).isEqualTo(BOOM);
        assertThat(b.answers()).isTrue();
    }

    @Test
    void exit_to_a_dead_process_is_ignored() {
        Probe b = probe();
        stopAndWait(b, ExitReason.NORMAL);

        node.exit(b.pid(), ExitReason.KILL);

        assertThat(node.stats().exitsByReason().get("killed")).isZero();
    }

    @Test
    void a_process_killed_by_exit_tells_its_links_and_monitors_killed() {
        Probe b = probe();
        Probe watcher = probe();
        MonitorRef ref = watcher.monitor(b);

        node.exit(b.pid(), ExitReason.KILL);

        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, b.pid(), ExitReason.KILLED));
    }

    // ---------------------------------------------------------------- exit/2 from a process

    @Test
    void exit_from_a_process_arrives_with_it_as_the_sender_at_a_process_trapping_exits() {
        Probe sender = probe();
        Probe b = trappingProbe();

        sender.inside(ctx -> {
            ctx.exit(b.pid(), BOOM);
            return null;
        });

        assertThat(b.nextExit()).isEqualTo(new Signal.Exit(sender.pid(), BOOM));
    }

    @Test
    void exit_from_a_process_kills_a_process_not_trapping_exits_and_not_the_sender() {
        Probe sender = probe();
        Probe b = probe();

        sender.inside(ctx -> {
            ctx.exit(b.pid(), BOOM);
            return null;
        });

        assertThat(b.exitReason()).isEqualTo(BOOM);
        assertThat(sender.answers()).as("exit/2 does not link").isTrue();
    }

    @Test
    void exit_with_kill_from_a_process_kills_even_a_process_trapping_exits() {
        Probe sender = probe();
        Probe b = trappingProbe();

        sender.inside(ctx -> {
            ctx.exit(b.pid(), ExitReason.KILL);
            return null;
        });

        assertThat(b.exitReason()).isEqualTo(ExitReason.KILLED);
    }

    @Test
    void exit_with_normal_from_another_process_is_ignored_by_a_process_not_trapping_exits() {
        Probe sender = probe();
        Probe b = probe();

        sender.inside(ctx -> {
            ctx.exit(b.pid(), ExitReason.NORMAL);
            return null;
        });

        assertThat(b.answers()).isTrue();
    }

    @Test
    void a_process_that_sends_itself_exit_normal_ends_normally() {
        Probe a = probe();

        a.inside(ctx -> {
            ctx.exit(ctx.self(), ExitReason.NORMAL);
            return null;
        });

        assertThat(a.exitReason()).isEqualTo(ExitReason.NORMAL);
    }

    @Test
    void a_process_trapping_exits_that_sends_itself_exit_normal_gets_a_message_instead() {
        Probe a = trappingProbe();

        a.inside(ctx -> {
            ctx.exit(ctx.self(), ExitReason.NORMAL);
            return null;
        });

        assertThat(a.nextExit()).isEqualTo(new Signal.Exit(a.pid(), ExitReason.NORMAL));
        assertThat(a.answers()).isTrue();
    }

    // ---------------------------------------------------------------- signals before messages

    @Test
    void exit_signals_are_handled_ahead_of_messages_already_queued() {
        AtomicInteger handledAfterFlood = new AtomicInteger();
        Pid<String> pid = node.spawn(Behaviors.receive((ctx, message) -> {
            if (message.equals("flood, then kill yourself")) {
                for (int i = 0; i < 100_000; i++) {
                    ctx.self().send("work");
                }
                ctx.node().exit(ctx.self(), ExitReason.KILL);
            } else {
                handledAfterFlood.incrementAndGet();
            }
            return Behaviors.same();
        }));
        Probe watcher = probe();
        watcher.monitor(pid);

        pid.send("flood, then kill yourself");

        assertThat(watcher.nextDown().reason()).isEqualTo(ExitReason.KILLED);
        assertThat(handledAfterFlood).as("queued messages handled before the kill").hasValue(0);
    }
}
