package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sending and receiving: Erlang's {@code Pid ! Message}. Asynchronous, never failing, ordered
 * between one pair of processes; a message to a dead process is dropped.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class MessagingTest {

    private final Node node;

    MessagingTest(Node node) {
        this.node = node;
    }

    // ---------------------------------------------------------------- send and receive

    @Test
    void a_message_sent_to_a_process_is_received() {
        Probe probe = Probe.spawn(node);

        probe.pid().send("hello");

        assertThat(probe.next()).isEqualTo("hello");
    }

    @Test
    void node_send_is_the_same_as_pid_send() {
        Probe probe = Probe.spawn(node);

        node.send(probe.pid(), "via the node");

        assertThat(probe.next()).isEqualTo("via the node");
    }

    @Test
    void a_process_can_send_to_itself() {
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.self().send("to myself");
            return null;
        });

        assertThat(probe.next()).isEqualTo("to myself");
    }

    @Test
    void messages_between_processes_are_received_in_the_order_sent() {
        Probe receiver = Probe.spawn(node);
        Probe sender = Probe.spawn(node);

        sender.inside(ctx -> {
            for (int i = 0; i < 1000; i++) {
                receiver.pid().send(i);
            }
            return null;
        });

        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            expected.add(i);
        }
        assertThat(receiver.received()).isEqualTo(expected);
    }

    @Test
    void a_null_message_is_refused_at_the_send() {
        Probe probe = Probe.spawn(node);

        assertThatThrownBy(() -> probe.pid().send(null)).isInstanceOf(NullPointerException.class);
    }

    // ---------------------------------------------------------------- order under contention

    /** A message numbered by its sender. */
    record Numbered(int sender, int n) {}

    /**
     * Checks that each sender's numbers arrive as 0, 1, 2…; completes {@code done} with the number
     * of out-of-order arrivals once {@code total} messages have arrived.
     */
    static Behavior<Numbered> orderChecker(int senders, long total, CompletableFuture<Long> done) {
        int[] next = new int[senders];
        long[] counts = {0, 0}; // arrived, out of order
        return Behaviors.receive(m -> {
            if (m.n() != next[m.sender()]) {
                counts[1]++;
            }
            next[m.sender()] = m.n() + 1;
            if (++counts[0] == total) {
                done.complete(counts[1]);
            }
            return Behaviors.same();
        });
    }

    /** Sends {@code count} numbered messages, a hundred per turn, so that senders interleave. */
    record Continue(int from) {}

    static Behavior<Continue> numberSender(int sender, int count, Pid<Numbered> target) {
        return Behaviors.receive((ctx, c) -> {
            int end = Math.min(count, c.from() + 100);
            for (int i = c.from(); i < end; i++) {
                target.send(new Numbered(sender, i));
            }
            if (end == count) {
                return Behaviors.stopped();
            }
            ctx.self().send(new Continue(end));
            return Behaviors.same();
        });
    }

    @Test
    void order_between_one_sender_and_one_receiver_holds_while_many_senders_contend() throws Exception {
        int threads = 8;
        int processes = 8;
        int each = 50_000;
        CompletableFuture<Long> outOfOrder = new CompletableFuture<>();
        Pid<Numbered> receiver = node.spawn(orderChecker(threads + processes, (long) (threads + processes) * each, outOfOrder));

        CountDownLatch start = new CountDownLatch(1);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int sender = t;
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    receiver.send(new Numbered(sender, i));
                }
            }));
        }
        List<Pid<Continue>> processSenders = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            processSenders.add(node.spawn(numberSender(threads + p, each, receiver)));
        }
        start.countDown();
        processSenders.forEach(p -> p.send(new Continue(0)));
        for (Thread t : senders) {
            t.join(WAIT.toMillis());
        }

        assertThat(await(outOfOrder)).as("messages that overtook an earlier one from the same sender").isZero();
    }

    // ---------------------------------------------------------------- dead pids

    @Test
    void a_message_to_a_dead_process_is_dropped_and_counted_never_thrown() {
        Probe probe = Probe.spawn(node);
        probe.stop(ExitReason.NORMAL);
        awaitEnded(node, probe.pid());
        NodeStats before = node.stats();

        for (int i = 0; i < 10; i++) {
            probe.pid().send("too late");
        }

        NodeStats after = node.stats();
        assertThat(after.messagesDropped() - before.messagesDropped()).isEqualTo(10);
        assertThat(after.messagesSent()).isEqualTo(before.messagesSent());
    }

    @Test
    void a_pid_that_reports_not_alive_drops_what_is_sent_to_it() {
        // The process sends to itself while it is ending, when isAlive() already says false.
        AtomicBoolean aliveWhileEnding = new AtomicBoolean(true);
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.stopped())
                .onSignal((ctx, signal) -> {
                    if (signal instanceof Signal.PostStop) {
                        aliveWhileEnding.set(ctx.self().isAlive());
                        ctx.self().send("after my end");
                    }
                    return Behaviors.same();
                }));
        long droppedBefore = node.stats().messagesDropped();

        pid.send("stop");
        awaitEnded(node, pid);

        assertThat(aliveWhileEnding).isFalse();
        assertThat(node.stats().messagesDropped() - droppedBefore).isEqualTo(1);
    }

    // ---------------------------------------------------------------- pids

    @Test
    void a_pid_prints_as_erlang_prints_a_local_pid() {
        Pid<Object> pid = Probe.spawn(node).pid();

        assertThat(pid).hasToString("<0." + pid.id() + ".0>");
        assertThat(pid.toString()).matches("<0\\.\\d+\\.0>");
    }

    @Test
    void node_pid_finds_a_live_process_from_its_text() {
        Pid<Object> pid = Probe.spawn(node).pid();

        assertThat(node.pid(pid.toString())).containsSame(pid);
        assertThat(node.pid("  " + pid + " ")).containsSame(pid);
    }

    @Test
    void node_pid_finds_nothing_for_a_dead_process_an_unknown_one_or_text_that_is_no_pid() {
        Probe dead = Probe.spawn(node);
        dead.stop(ExitReason.NORMAL);
        awaitEnded(node, dead.pid());

        assertThat(node.pid(dead.pid().toString())).isEmpty();
        assertThat(node.pid("<0.999999999.0>")).isEmpty();
        assertThat(node.pid("<1.5.0>")).isEmpty();
        assertThat(node.pid("0.5.0")).isEmpty();
        assertThat(node.pid("pid")).isEmpty();
        assertThat(node.pid(null)).isEmpty();
    }

    @Test
    void pids_are_never_reused() {
        Set<Long> seen = new HashSet<>();
        long highestOfFirstBatch = 0;
        for (int round = 0; round < 2; round++) {
            List<Pid<String>> batch = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                Pid<String> pid = node.spawn(Behaviors.receive(m -> Behaviors.stopped()));
                assertThat(seen.add(pid.id())).as("id %s given twice", pid.id()).isTrue();
                assertThat(pid.id()).isGreaterThan(highestOfFirstBatch);
                batch.add(pid);
            }
            batch.forEach(p -> p.send("stop"));
            eventually().until(() -> node.processCount() == 0);
            highestOfFirstBatch = batch.stream().mapToLong(Pid::id).max().orElseThrow();
        }
    }
}
