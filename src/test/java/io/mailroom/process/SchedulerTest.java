package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.process.ProcessTesting.schedulers;
import static io.mailroom.process.ProcessTesting.threadsNamed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The M:N scheduler: any number of processes on a few threads, each process given at most a budget
 * of messages per turn so that none can starve the others; idle threads park; shutdown ends them.
 */
@Timeout(120)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SchedulerTest {

    /** Blocks the calling scheduler thread until {@code latch} opens: a stand-in for a long computation. */
    private static void occupy(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The live threads whose names start with {@code prefix}, with their states. */
    private static Map<String, Thread.State> threadsStartingWith(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
                .collect(Collectors.toMap(Thread::getName, Thread::getState));
    }

    @TestNode
    @Test
    void a_million_processes_each_sent_one_message_all_exit_normally(Node node) {
        int processes = 1_000_000;
        Behavior<String> once = Behaviors.receive(m -> Behaviors.stopped());
        List<Pid<String>> pids = new ArrayList<>(processes);
        for (int i = 0; i < processes; i++) {
            pids.add(node.spawn(once));
        }
        assertThat(node.processCount()).isEqualTo(processes);

        pids.forEach(p -> p.send("go"));

        eventually().until(() -> node.stats().exitsByReason().get("normal") == processes);
        assertThat(node.processCount()).isZero();
        assertThat(node.stats().spawned()).isEqualTo(processes);
    }

    @TestNode(schedulers = 1)
    @Test
    void a_process_with_a_million_queued_messages_does_not_keep_another_from_answering(Node node) {
        // One scheduler thread: the flooded process and the pinged one take turns on it.
        CountDownLatch release = new CountDownLatch(1);
        Pid<String> flooded = node.spawn(Behaviors.receive(m -> {
            if (m.equals("hold the scheduler")) {
                occupy(release);
            }
            return Behaviors.same();
        }));
        flooded.send("hold the scheduler");
        eventually().until(() -> node.info(flooded).orElseThrow().status().equals("running"));
        for (int i = 0; i < 1_000_000; i++) {
            flooded.send("work");
        }
        // answers with what the flooded process has handled and has still queued at that moment
        Pid<Pid<long[]>> pinged = node.spawn(Behaviors.receive(replyTo -> {
            ProcessInfo f = node.info(flooded).orElseThrow();
            replyTo.send(new long[] {f.reductions(), f.mailbox()});
            return Behaviors.same();
        }));

        CompletableFuture<long[]> pong = node.call(pinged, replyTo -> replyTo, WAIT);
        release.countDown();

        long[] floodedAtReply = await(pong);
        assertThat(floodedAtReply[0]).as("messages the flooded process had handled").isLessThan(100_000);
        assertThat(floodedAtReply[1]).as("messages it still had queued").isGreaterThan(900_000);
    }

    @Test
    void a_busy_process_handles_at_most_its_budget_of_messages_per_turn_then_goes_to_the_back_of_the_queue() {
        int budget = 10;
        try (Node node = Node.start(schedulers(1).withMessageBudget(budget))) {
            List<String> handledBy = Collections.synchronizedList(new ArrayList<>());
            Pid<Integer> a = node.spawn(Behaviors.receive(n -> {
                handledBy.add("a");
                return Behaviors.same();
            }));
            Pid<Integer> b = node.spawn(Behaviors.receive(n -> {
                handledBy.add("b");
                return Behaviors.same();
            }));
            // floods both within one turn of another process, so both are runnable from the start
            Pid<String> flooder = node.spawn(Behaviors.receive(m -> {
                for (int i = 0; i < 1_000; i++) {
                    a.send(i);
                    b.send(i);
                }
                return Behaviors.same();
            }));

            flooder.send("flood");

            eventually().until(() -> handledBy.size() == 2_000);
            List<Integer> runs = new ArrayList<>();
            String last = null;
            for (String who : List.copyOf(handledBy)) {
                if (who.equals(last)) {
                    runs.set(runs.size() - 1, runs.get(runs.size() - 1) + 1);
                } else {
                    runs.add(1);
                    last = who;
                }
            }
            assertThat(runs).as("consecutive messages handled by one process").allMatch(run -> run <= budget);
        }
    }

    @TestNode(schedulers = 2)
    @Test
    void a_handler_that_keeps_one_scheduler_busy_does_not_stop_the_others(Node node) {
        CountDownLatch release = new CountDownLatch(1);
        Pid<String> hog = node.spawn(Behaviors.receive(m -> {
            occupy(release);
            return Behaviors.same();
        }));
        try {
            hog.send("compute for a long time");
            eventually().until(() -> node.info(hog).orElseThrow().status().equals("running"));

            for (int i = 0; i < 100; i++) {
                assertThat(Probe.spawn(node).answers()).as("process %s answered", i).isTrue();
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void an_idle_nodes_scheduler_threads_end_parked() {
        String prefix = "mailroom-scheduler-idle";
        try (Node node = Node.start(threadsNamed(schedulers(2), prefix))) {
            Probe probe = Probe.spawn(node);
            for (int i = 0; i < 1_000; i++) {
                probe.pid().send(i);
            }
            assertThat(probe.answers()).isTrue();

            eventually().untilAsserted(() -> assertThat(threadsStartingWith(prefix))
                    .containsOnlyKeys(prefix + "-0", prefix + "-1", prefix + "-timers")
                    .allSatisfy((name, state) -> assertThat(state).as(name).isEqualTo(Thread.State.WAITING)));
        }
    }

    @Test
    void shutdown_with_busy_processes_completes_and_leaves_no_mailroom_thread_alive() {
        String prefix = "mailroom-scheduler-shutdown";
        Node node = Node.start(threadsNamed(schedulers(2), prefix));
        for (int i = 0; i < 100; i++) {
            Pid<String> busy = node.spawn(Behaviors.receive((ctx, m) -> {
                ctx.self().send(m); // forever busy
                return Behaviors.same();
            }));
            busy.send("again");
            node.sendAfter(busy, "much later", Duration.ofHours(1));
        }
        long sent = node.stats().messagesSent();
        eventually().until(() -> node.stats().messagesSent() > sent + 100_000);

        node.shutdown(WAIT);

        assertThat(node.isShutdown()).isTrue();
        assertThat(node.processCount()).isZero();
        assertThat(node.schedulersAlive()).isFalse();
        assertThat(threadsStartingWith(prefix)).isEmpty();
    }

    @Test
    void shutdown_ends_processes_spawned_while_it_is_under_way() {
        // Processes that keep spawning idle children race with shutdown's kill of every process.
        for (int round = 0; round < 20; round++) {
            Node node = Node.start(threadsNamed(schedulers(2), "mailroom-scheduler-breeding"));
            Behavior<String> idle = Behaviors.receive(m -> Behaviors.same());
            for (int i = 0; i < 4; i++) {
                Pid<String> breeder = node.spawn(Behaviors.receive((ctx, m) -> {
                    ctx.spawn(idle);
                    ctx.self().send(m);
                    return Behaviors.same();
                }));
                breeder.send("breed");
            }
            eventually().until(() -> node.processCount() > 10_000);

            node.shutdown(WAIT);

            assertThat(node.processCount()).as("processes left after shutdown, round %s", round).isZero();
        }
    }

    @Test
    void spawning_on_a_node_that_has_shut_down_fails() {
        Node node = Node.start();
        node.shutdown();

        assertThatThrownBy(() -> node.spawn(Behaviors.receive(m -> Behaviors.same())))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shutdown_twice_is_harmless() {
        Node node = Node.start();
        Probe.spawn(node);

        node.shutdown();
        node.shutdown();

        assertThat(node.isShutdown()).isTrue();
        assertThat(node.processCount()).isZero();
    }
}
