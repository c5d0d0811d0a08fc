package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bounded mailboxes ({@link SpawnOptions#withMailbox}): what happens to a message that arrives at a
 * full mailbox. The mailbox is filled by the process itself within one handler, so nothing drains
 * it meanwhile and the outcome is exact.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode(schedulers = 2)
class BoundedMailboxTest {

    private final Node node;

    BoundedMailboxTest(Node node) {
        this.node = node;
    }

    /** Sends the process {@code count} numbers, 1 to count, from its own handler. */
    record Fill(int count) {}

    /** Fills its own mailbox on {@link Fill}, and adds each number it then handles to {@code handled}. */
    static Behavior<Object> filler(List<Integer> handled) {
        return Behaviors.receive((ctx, message) -> {
            switch (message) {
                case Fill(var count) -> {
                    for (int i = 1; i <= count; i++) {
                        ctx.self().send(i);
                    }
                }
                case Integer n -> handled.add(n);
                default -> throw new IllegalArgumentException("unexpected " + message);
            }
            return Behaviors.same();
        });
    }

    private final List<Integer> handled = Collections.synchronizedList(new ArrayList<>());

    private static SpawnOptions bounded(int bound, OverflowPolicy policy) {
        return SpawnOptions.DEFAULT.withMailbox(bound, policy);
    }

    @Test
    void drop_newest_refuses_what_arrives_at_a_full_mailbox_and_counts_it() {
        Pid<Object> pid = node.spawn(filler(handled), bounded(3, OverflowPolicy.DROP_NEWEST));
        long droppedBefore = node.stats().messagesDropped();

        pid.send(new Fill(10));

        eventually().until(() -> handled.size() == 3);
        assertThat(handled).containsExactly(1, 2, 3);
        assertThat(node.stats().messagesDropped() - droppedBefore).isEqualTo(7);
    }

    @Test
    void drop_oldest_drops_the_oldest_queued_messages_to_make_room() {
        Pid<Object> pid = node.spawn(filler(handled), bounded(3, OverflowPolicy.DROP_OLDEST));
        long droppedBefore = node.stats().messagesDropped();

        pid.send(new Fill(10));

        eventually().until(() -> handled.size() == 3);
        assertThat(handled).containsExactly(8, 9, 10);
        assertThat(node.stats().messagesDropped() - droppedBefore).isEqualTo(7);
    }

    @Test
    void exit_ends_the_process_with_reason_mailbox_overflow() {
        Pid<Object> pid = node.spawn(filler(handled), bounded(3, OverflowPolicy.EXIT));
        var exited = node.whenExited(pid);

        pid.send(new Fill(10));

        assertThat(await(exited)).isEqualTo(ExitReason.of("mailbox_overflow"));
        assertThat(handled).as("exit signals go ahead of the queued messages").isEmpty();
    }

    @Test
    void exit_reaches_linked_processes_as_an_abnormal_exit() {
        Probe parent = Probe.spawn(node, SpawnOptions.DEFAULT.trappingExits());
        Pid<Object> child = parent.inside(ctx -> ctx.spawnLink(filler(handled), bounded(3, OverflowPolicy.EXIT)));

        child.send(new Fill(10));

        assertThat(parent.nextExit()).isEqualTo(new Signal.Exit(child, ExitReason.of("mailbox_overflow")));
    }

    @Test
    void a_down_is_never_refused_by_a_full_mailbox() {
        Probe target = Probe.spawn(node);
        List<Object> seen = Collections.synchronizedList(new ArrayList<>());
        Pid<Object> watcher = node.spawn(Behaviors.receive((ctx, message) -> {
            if (message.equals("fill up, then kill the target")) {
                ctx.monitor(target.pid());
                for (int i = 0; i < 3; i++) {
                    ctx.self().send("filler");
                }
                ctx.exit(target.pid(), ExitReason.KILL);
                awaitEnded(node, target.pid()); // its Down arrives while the mailbox is full
            } else {
                seen.add(message);
            }
            return Behaviors.same();
        }).onSignal((ctx, signal) -> {
            seen.add(signal);
            return Behaviors.same();
        }), bounded(3, OverflowPolicy.DROP_NEWEST));

        watcher.send("fill up, then kill the target");

        eventually().until(() -> seen.size() == 4);
        assertThat(seen).containsExactly("filler", "filler", "filler",
                new Signal.Down(((Signal.Down) seen.get(3)).ref(), target.pid(), ExitReason.KILLED));
    }

    @Test
    void a_down_is_never_dropped_as_the_oldest_message() {
        Probe target = Probe.spawn(node);
        List<Object> seen = Collections.synchronizedList(new ArrayList<>());
        Pid<Object> watcher = node.spawn(Behaviors.receive((ctx, message) -> {
            if (message.equals("kill the target, then fill up")) {
                ctx.monitor(target.pid());
                ctx.exit(target.pid(), ExitReason.KILL);
                awaitEnded(node, target.pid()); // its Down is now the oldest message
                for (int i = 1; i <= 5; i++) {
                    ctx.self().send("filler " + i);
                }
            } else {
                seen.add(message);
            }
            return Behaviors.same();
        }).onSignal((ctx, signal) -> {
            seen.add(signal);
            return Behaviors.same();
        }), bounded(3, OverflowPolicy.DROP_OLDEST));

        watcher.send("kill the target, then fill up");

        eventually().until(() -> seen.size() == 4);
        assertThat(seen.get(0)).isInstanceOfSatisfying(Signal.Down.class,
                down -> assertThat(down.reason()).isEqualTo(ExitReason.KILLED));
        assertThat(seen.subList(1, 4)).containsExactly("filler 3", "filler 4", "filler 5");
    }

    @Test
    void a_bounded_mailbox_takes_messages_up_to_its_bound_and_again_once_they_are_handled() {
        Pid<Object> pid = node.spawn(filler(handled), bounded(5, OverflowPolicy.DROP_NEWEST));
        long droppedBefore = node.stats().messagesDropped();

        pid.send(new Fill(5));
        eventually().until(() -> handled.size() == 5);
        pid.send(new Fill(5));

        eventually().until(() -> handled.size() == 10);
        assertThat(handled).containsExactly(1, 2, 3, 4, 5, 1, 2, 3, 4, 5);
        assertThat(node.stats().messagesDropped()).isEqualTo(droppedBefore);
    }

    @Test
    void concurrent_senders_to_a_full_mailbox_get_exactly_the_bound_in() throws InterruptedException {
        int bound = 100;
        CountDownLatch release = new CountDownLatch(1);
        Pid<Object> pid = node.spawn(Behaviors.receive(message -> {
            if (message.equals("hold")) {
                try {
                    release.await(); // keeps the mailbox from draining while the senders race
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                handled.add((Integer) message);
            }
            return Behaviors.same();
        }), bounded(bound, OverflowPolicy.DROP_NEWEST));
        pid.send("hold");
        eventually().until(() -> node.info(pid).orElseThrow().status().equals("running"));
        long droppedBefore = node.stats().messagesDropped();

        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            senders.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    pid.send(i);
                }
            }));
        }
        for (Thread t : senders) {
            t.join(WAIT.toMillis());
        }
        assertThat(node.info(pid).orElseThrow().mailbox()).isEqualTo(bound);
        release.countDown();

        eventually().until(() -> handled.size() == bound);
        assertThat(node.stats().messagesDropped() - droppedBefore).isEqualTo(4_000 - bound);
    }
}
