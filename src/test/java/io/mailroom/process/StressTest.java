package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Contention and wake-ups, counted exactly: nothing lost, nothing duplicated, nothing reordered
 * between a pair, no process left asleep with work. Each test is bounded in size and time.
 */
@Timeout(90)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class StressTest {

    private final Node node;

    StressTest(Node node) {
        this.node = node;
    }

    @Test
    void many_producers_to_one_consumer_lose_duplicate_and_reorder_nothing() throws InterruptedException {
        int threads = 8;
        int processes = 100;
        int each = 10_000;
        int senders = threads + processes;
        long total = (long) senders * each;
        CompletableFuture<Long> outOfOrder = new CompletableFuture<>();
        Pid<MessagingTest.Numbered> consumer = node.spawn(MessagingTest.orderChecker(senders, total, outOfOrder));
        long sentBefore = node.stats().messagesSent();

        CountDownLatch start = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int sender = t;
            producers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    consumer.send(new MessagingTest.Numbered(sender, i));
                }
            }));
        }
        List<Pid<MessagingTest.Continue>> producerProcesses = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            producerProcesses.add(node.spawn(MessagingTest.numberSender(threads + p, each, consumer)));
        }
        start.countDown();
        producerProcesses.forEach(p -> p.send(new MessagingTest.Continue(0)));
        for (Thread t : producers) {
            t.join(WAIT.toMillis());
        }

        assertThat(await(outOfOrder)).as("duplicated or overtaken messages").isZero();
        eventually().until(() -> node.stats().messagesSent() - sentBefore >= total);
    }

    @Test
    void a_run_queue_gives_each_process_to_exactly_one_taker_while_thieves_race_its_owner() throws InterruptedException {
        int pushes = 500_000;
        RunQueue queue = new RunQueue(256);
        java.util.concurrent.atomic.AtomicIntegerArray taken = new java.util.concurrent.atomic.AtomicIntegerArray(pushes);
        Cell<?>[] cells = new Cell<?>[pushes];
        for (int i = 0; i < pushes; i++) {
            cells[i] = new Cell<>(null, i, SpawnOptions.DEFAULT, Behaviors.ignore(), null);
        }
        java.util.concurrent.atomic.AtomicBoolean ownerDone = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> thieves = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            thieves.add(Thread.ofPlatform().start(() -> {
                while (!ownerDone.get() || !queue.isEmpty()) {
                    Cell<?> c = queue.poll();
                    if (c != null) {
                        taken.incrementAndGet((int) c.id);
                    }
                }
            }));
        }

        for (int i = 0; i < pushes; i++) { // the owner pushes, and takes some back itself, as a worker does
            while (!queue.push(cells[i])) {
                Cell<?> c = queue.poll();
                if (c != null) {
                    taken.incrementAndGet((int) c.id);
                }
            }
        }
        ownerDone.set(true);
        for (Thread t : thieves) {
            t.join(WAIT.toMillis());
        }

        for (int i = 0; i < pushes; i++) {
            assertThat(taken.get(i)).as("times process %s was taken", i).isEqualTo(1);
        }
    }

    @Test
    void half_queue_steals_give_each_process_to_exactly_one_taker_while_thieves_race_the_owner_and_each_other()
            throws InterruptedException {
        int pushes = 500_000;
        RunQueue queue = new RunQueue(256);
        java.util.concurrent.atomic.AtomicIntegerArray taken = new java.util.concurrent.atomic.AtomicIntegerArray(pushes);
        Cell<?>[] cells = new Cell<?>[pushes];
        for (int i = 0; i < pushes; i++) {
            cells[i] = new Cell<>(null, i, SpawnOptions.DEFAULT, Behaviors.ignore(), null);
        }
        int thieves = 3;
        RunQueue[] own = new RunQueue[thieves];
        for (int t = 0; t < thieves; t++) {
            own[t] = new RunQueue(64); // small: steals are capped by the room in the thief's ring
        }
        java.util.concurrent.atomic.AtomicBoolean ownerDone = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong steals = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong stolen = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < thieves; t++) {
            int me = t;
            threads.add(Thread.ofPlatform().start(() -> {
                RunQueue mine = own[me];
                RunQueue other = own[(me + 1) % thieves];
                while (!ownerDone.get() || !queue.isEmpty() || !mine.isEmpty() || !other.isEmpty()) {
                    // as a worker: its own ring first, then half of the owner's, then half of another thief's
                    Cell<?> c = mine.poll();
                    if (c == null) {
                        int before = mine.size();
                        c = queue.stealHalfInto(mine);
                        if (c == null) {
                            c = other.stealHalfInto(mine);
                        }
                        if (c != null) {
                            steals.incrementAndGet();
                            stolen.addAndGet(1 + Math.max(0, mine.size() - before));
                        }
                    }
                    if (c != null) {
                        taken.incrementAndGet((int) c.id);
                    }
                }
            }));
        }

        for (int i = 0; i < pushes; i++) { // the owner pushes, and takes some back itself, as a worker does
            while (!queue.push(cells[i])) {
                Cell<?> c = queue.poll();
                if (c != null) {
                    taken.incrementAndGet((int) c.id);
                }
            }
            if (i % 7 == 0) {
                Cell<?> c = queue.poll();
                if (c != null) {
                    taken.incrementAndGet((int) c.id);
                }
            }
        }
        ownerDone.set(true);
        for (Thread t : threads) {
            t.join(WAIT.toMillis());
        }

        for (int i = 0; i < pushes; i++) {
            assertThat(taken.get(i)).as("times process %s was taken", i).isEqualTo(1);
        }
        assertThat(steals.get()).as("steals").isPositive();
        assertThat(stolen.get()).as("processes per steal, over all steals").isGreaterThan(steals.get());
    }

    /** One of a broadcaster's rounds, numbered per broadcaster from 0. */
    record Round(int broadcaster, int seq) {}

    @Test
    void broadcasters_each_waking_thousands_of_processes_deliver_every_message_exactly_once_in_order()
            throws InterruptedException {
        int broadcasters = 8;
        int receivers = 4_000;
        int rounds = 20;
        for (int repeat = 0; repeat < 5; repeat++) {
            // more schedulers than cores: more thieves racing, and workers descheduled mid-steal
            try (Node bulk = Node.start(ProcessTesting.schedulers(4))) {
                CountDownLatch complete = new CountDownLatch(receivers);
                AtomicInteger faults = new AtomicInteger();
                List<Pid<Round>> all = new ArrayList<>();
                for (int r = 0; r < receivers; r++) {
                    all.add(bulk.spawn(receiver(broadcasters, rounds, complete, faults)));
                }
                List<Pid<Round>> targets = List.copyOf(all);
                List<Pid<Integer>> senders = new ArrayList<>();
                for (int b = 0; b < broadcasters; b++) {
                    int me = b;
                    senders.add(bulk.spawn(Behaviors.<Integer>receive(seq -> {
                        Round round = new Round(me, seq);
                        for (Pid<Round> t : targets) {
                            t.send(round);
                        }
                        return Behaviors.same();
                    })));
                }
                long stealsBefore = bulk.schedulerStats().stream().mapToLong(SchedulerStats::steals).sum();

                for (int seq = 0; seq < rounds; seq++) {
                    for (Pid<Integer> s : senders) {
                        s.send(seq);
                    }
                }

                assertThat(complete.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                        .as("every receiver got all %s messages (repeat %s): %s still waiting",
                                broadcasters * rounds, repeat, complete.getCount())
                        .isTrue();
                assertThat(faults).as("duplicated, lost, reordered or concurrently handled messages").hasValue(0);
                long steals = bulk.schedulerStats().stream().mapToLong(SchedulerStats::steals).sum() - stealsBefore;
                assertThat(steals).as("steals for %s wake-ups", (long) broadcasters * rounds * receivers)
                        .isLessThan((long) broadcasters * rounds * receivers / 10);
                // nothing more may arrive after the last one: no late duplicate
                eventually().during(Duration.ofMillis(20)).until(() -> faults.get() == 0);
                assertThat(faults).as("messages after the last one").hasValue(0);
            }
        }
    }

    /**
     * Expects from each broadcaster its rounds 0, 1, 2… in order, exactly once each, and counts a
     * fault for anything else, or for a turn that overlaps another turn of the same process
     * (a process queued twice and run by two schedulers at once).
     */
    private static Behavior<Round> receiver(int broadcasters, int rounds, CountDownLatch complete, AtomicInteger faults) {
        return Behaviors.setup(ctx -> {
            int[] next = new int[broadcasters];
            int[] total = {0};
            AtomicInteger inside = new AtomicInteger();
            return Behaviors.receive(round -> {
                if (inside.getAndIncrement() != 0) {
                    faults.incrementAndGet();
                }
                if (round.seq() != next[round.broadcaster()]) {
                    faults.incrementAndGet();
                }
                next[round.broadcaster()] = round.seq() + 1;
                if (++total[0] == broadcasters * rounds) {
                    complete.countDown();
                } else if (total[0] > broadcasters * rounds) {
                    faults.incrementAndGet();
                }
                inside.decrementAndGet();
                return Behaviors.same();
            });
        });
    }

    /** A token passed round a ring; the last hop completes {@code done}. */
    record Token(int hopsLeft) {}

    @Test
    void tokens_passed_round_rings_across_schedulers_never_stall() {
        int ringSize = 8;
        for (int round = 0; round < 300; round++) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            List<Pid<Token>> ring = new ArrayList<>();
            for (int i = 0; i < ringSize; i++) {
                int index = i;
                ring.add(node.spawn(Behaviors.receive(token -> {
                    if (token.hopsLeft() == 0) {
                        done.complete(index);
                        return Behaviors.stopped();
                    }
                    ring.get((index + 1) % ringSize).send(new Token(token.hopsLeft() - 1));
                    return Behaviors.same();
                })));
            }

            ring.get(0).send(new Token(1_000));

            assertThat(await(done)).as("round %s", round).isEqualTo(1_000 % ringSize);
            ring.forEach(p -> node.exit(p, ExitReason.KILL));
        }
    }

    record Ball(Pid<Ball> from, int n) {}

    @Test
    void a_million_round_trips_between_two_processes_complete() {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        Pid<Ball> pong = node.spawn(Behaviors.receive((ctx, ball) -> {
            ball.from().send(new Ball(ctx.self(), ball.n()));
            return Behaviors.same();
        }));
        Pid<Ball> ping = node.spawn(Behaviors.receive((ctx, ball) -> {
            if (ball.n() == 1_000_000) {
                done.complete(ball.n());
                return Behaviors.stopped();
            }
            pong.send(new Ball(ctx.self(), ball.n() + 1));
            return Behaviors.same();
        }));

        ping.send(new Ball(pong, 0));

        assertThat(await(done)).isEqualTo(1_000_000);
    }

    record Ask(int n, Pid<Integer> replyTo) {}

    @Test
    void sequential_calls_through_two_processes_are_all_answered_while_schedulers_park_and_wake() {
        // Each call wakes the runtime from outside, after the schedulers may have parked.
        Pid<Ask> back = node.spawn(Behaviors.receive(ask -> {
            ask.replyTo().send(ask.n() + 1);
            return Behaviors.same();
        }));
        Pid<Ask> front = node.spawn(Behaviors.receive(ask -> {
            back.send(ask);
            return Behaviors.same();
        }));

        for (int i = 0; i < 20_000; i++) {
            int n = i;
            assertThat(await(node.<Ask, Integer>call(front, r -> new Ask(n, r), WAIT))).isEqualTo(n + 1);
        }
    }

    @Test
    void calls_from_many_threads_to_many_processes_are_all_answered() throws InterruptedException {
        List<Pid<Ask>> servers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            servers.add(node.spawn(Behaviors.receive(ask -> {
                ask.replyTo().send(ask.n() * 3);
                return Behaviors.same();
            })));
        }
        AtomicInteger wrong = new AtomicInteger();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            callers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 5_000; i++) {
                    int n = i;
                    Pid<Ask> server = servers.get(ThreadLocalRandom.current().nextInt(servers.size()));
                    if (await(node.<Ask, Integer>call(server, r -> new Ask(n, r), WAIT)) != n * 3) {
                        wrong.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : callers) {
            t.join(WAIT.toMillis() * 2);
        }

        assertThat(wrong).hasValue(0);
    }

    @Test
    void ten_thousand_linked_processes_crashing_at_once_each_send_their_hub_one_exit() {
        int spokes = 10_000;
        AtomicInteger exits = new AtomicInteger();
        CountDownLatch linked = new CountDownLatch(spokes);
        Pid<String> hub = node.spawn(Behaviors.<String>receive(m -> Behaviors.same()).onSignal((ctx, signal) -> {
            if (signal instanceof Signal.Exit) {
                exits.incrementAndGet();
            }
            return Behaviors.same();
        }), SpawnOptions.DEFAULT.trappingExits());
        List<Pid<String>> doomed = new ArrayList<>();
        for (int i = 0; i < spokes; i++) {
            doomed.add(node.spawn(Behaviors.<String>setup(ctx -> {
                ctx.link(hub);
                linked.countDown();
                return Behaviors.receive(m -> Behaviors.stopped(ExitReason.of("spoke down")));
            })));
        }
        eventually().until(() -> linked.getCount() == 0);

        doomed.forEach(p -> p.send("down"));

        eventually().until(() -> exits.get() == spokes);
        assertThat(node.info(hub).orElseThrow().links()).isEmpty();
        assertThat(node.processCount()).isEqualTo(1);
    }
}
