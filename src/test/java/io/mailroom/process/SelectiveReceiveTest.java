package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Selective receive: a behaviour returns {@link Behaviors#unhandled()} to leave a message in the
 * mailbox; it is offered again, in arrival order and ahead of newer messages, once the behaviour
 * changes (as an Erlang {@code receive} scans the mailbox from the oldest message each time).
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class SelectiveReceiveTest {

    private final Node node;

    SelectiveReceiveTest(Node node) {
        this.node = node;
    }

    /** Asks for everything handled so far; every behaviour here answers it. */
    record Handled(Pid<List<String>> replyTo) {}

    /**
     * A process that, while {@code waiting}, handles only messages starting with {@code wanted} and
     * defers the rest; "open" switches it to {@code open}, which handles everything.
     */
    static Behavior<Object> waitingFor(String wanted, List<String> handled) {
        return Behaviors.receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.copyOf(handled));
                return Behaviors.same();
            }
            String m = (String) message;
            if (m.equals("open")) {
                handled.add(m);
                return open(handled);
            }
            if (m.startsWith(wanted)) {
                handled.add(m);
                return Behaviors.same();
            }
            return Behaviors.unhandled();
        });
    }

    static Behavior<Object> open(List<String> handled) {
        return Behaviors.receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.copyOf(handled));
                return Behaviors.same();
            }
            handled.add((String) message);
            return Behaviors.same();
        });
    }

    private List<String> handledBy(Pid<Object> pid) {
        return await(node.<Object, List<String>>call(pid, Handled::new, WAIT));
    }

    @Test
    void an_unhandled_message_stays_in_the_mailbox_while_the_next_ones_are_offered() {
        Pid<Object> pid = node.spawn(waitingFor("wanted", new CopyOnWriteArrayList<>()));

        List.of("later 1", "wanted 1", "later 2", "wanted 2").forEach(pid::send);

        assertThat(handledBy(pid)).containsExactly("wanted 1", "wanted 2");
        assertThat(node.info(pid).orElseThrow().mailbox()).as("deferred messages still waiting").isEqualTo(2);
    }

    @Test
    void deferred_messages_are_offered_again_in_arrival_order_once_the_behaviour_changes() {
        Pid<Object> pid = node.spawn(waitingFor("wanted", new CopyOnWriteArrayList<>()));

        List.of("later 1", "later 2", "wanted", "later 3", "open").forEach(pid::send);

        assertThat(handledBy(pid)).containsExactly("wanted", "open", "later 1", "later 2", "later 3");
        assertThat(node.info(pid).orElseThrow().mailbox()).isZero();
    }

    @Test
    void deferred_messages_come_ahead_of_messages_that_arrived_after_them() {
        Pid<Object> pid = node.spawn(waitingFor("wanted", new CopyOnWriteArrayList<>()));

        // "newer 1" and "newer 2" are in the mailbox, unoffered, when the behaviour changes.
        List.of("deferred 1", "deferred 2", "open", "newer 1", "newer 2").forEach(pid::send);

        assertThat(handledBy(pid)).containsExactly("open", "deferred 1", "deferred 2", "newer 1", "newer 2");
    }

    @Test
    void keeping_the_same_behaviour_does_not_offer_deferred_messages_again() {
        List<String> handled = new CopyOnWriteArrayList<>();
        Pid<Object> pid = node.spawn(waitingFor("wanted", handled));

        List.of("deferred", "wanted 1", "wanted 2").forEach(pid::send);

        assertThat(handledBy(pid)).containsExactly("wanted 1", "wanted 2");
        pid.send("open");
        assertThat(handledBy(pid)).containsExactly("wanted 1", "wanted 2", "open", "deferred");
    }

    @Test
    void a_message_deferred_again_by_the_next_behaviour_keeps_its_place_in_line() {
        // waiting for "a" → (open-a) waiting for "b" → (open) everything
        List<String> handled = new CopyOnWriteArrayList<>();
        Behavior<Object> waitingForB = waitingFor("b", handled);
        Pid<Object> pid = node.spawn(Behaviors.receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.copyOf(handled));
                return Behaviors.same();
            }
            String m = (String) message;
            if (m.equals("open-a")) {
                handled.add(m);
                return waitingForB;
            }
            if (m.startsWith("a")) {
                handled.add(m);
                return Behaviors.same();
            }
            return Behaviors.unhandled();
        }));

        List.of("c1", "b1", "c2", "b2", "open-a", "c3", "open").forEach(pid::send);

        assertThat(handledBy(pid)).containsExactly("open-a", "b1", "b2", "open", "c1", "c2", "c3");
    }

    // ---------------------------------------------------------------- signals left for later

    /** Defers every message and signal until "ready"; then records them all. */
    static Behavior<Object> deferUntilReady(List<Object> seen) {
        return Behaviors.<Object>receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.of());
                return Behaviors.same();
            }
            return "ready".equals(message) ? recordAll(seen) : Behaviors.unhandled();
        }).onSignal((ctx, signal) -> signal instanceof Signal.PostStop ? Behaviors.same() : Behaviors.unhandled());
    }

    static Behavior<Object> recordAll(List<Object> seen) {
        return Behaviors.<Object>receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.of());
            } else {
                seen.add(message);
            }
            return Behaviors.same();
        }).onSignal((ctx, signal) -> {
            if (!(signal instanceof Signal.PostStop)) {
                seen.add(signal);
            }
            return Behaviors.same();
        });
    }

    @Test
    void a_down_left_unhandled_is_offered_again_once_the_behaviour_changes() {
        Probe target = Probe.spawn(node);
        List<Object> seen = new CopyOnWriteArrayList<>();
        MonitorRef[] ref = new MonitorRef[1];
        Pid<Object> watcher = node.spawn(Behaviors.setup(ctx -> {
            ref[0] = ctx.monitor(target.pid());
            return deferUntilReady(seen);
        }));
        handledBy(watcher); // its setup has run: the monitor is in place

        target.stop(ExitReason.of("bye"));
        awaitEnded(node, target.pid());
        eventually().until(() -> node.info(watcher).orElseThrow().mailbox() == 1);
        watcher.send("ready");
        handledBy(watcher);

        assertThat(seen).containsExactly(new Signal.Down(ref[0], target.pid(), ExitReason.of("bye")));
    }

    @Test
    void an_exit_left_unhandled_is_offered_again_once_the_behaviour_changes() {
        Probe partner = Probe.spawn(node);
        List<Object> seen = new CopyOnWriteArrayList<>();
        Pid<Object> trapper = node.spawn(Behaviors.setup(ctx -> {
            ctx.trapExits(true);
            ctx.link(partner.pid());
            return deferUntilReady(seen);
        }));
        handledBy(trapper);

        partner.stop(ExitReason.of("bye"));
        awaitEnded(node, partner.pid());
        eventually().until(() -> node.info(trapper).orElseThrow().mailbox() == 1);
        trapper.send("ready");
        handledBy(trapper);

        assertThat(seen).containsExactly(new Signal.Exit(partner.pid(), ExitReason.of("bye")));
    }
}
