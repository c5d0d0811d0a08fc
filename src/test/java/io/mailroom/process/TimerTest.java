package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestClock;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Timers: {@code erlang:send_after/3} and {@code cancel_timer/1}, and the {@code after} clause of a
 * receive. On a {@link TestClock}, so each test says exactly when a timer fires: a 100 ms timer is
 * still pending at 99 ms of test time and has fired at 100 ({@link TestClock#advance} returns once
 * the timer thread has dealt with the new time). Two tests run on the system clock, to show that
 * path works too; there only lower bounds on time are checked, since a loaded machine may always
 * make a timer late.
 */
@Timeout(60)
@TestNode(testClock = true)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TimerTest {

    private final Node node;

    TimerTest(Node node) {
        this.node = node;
    }

    private int pending() {
        return node.stats().pendingTimers();
    }

    /**
     * Waits until {@code node} has {@code n} timers pending. A probe's requests ({@link Probe#received})
     * are calls, whose timeout timer is cancelled just after the caller has its answer: the count
     * settles a moment later. Nothing moves the test clock meanwhile, so a timer not due stays
     * pending and one that fired stays fired: the wait cannot turn a wrong count right.
     */
    private static void assertPending(Node node, int n, String when) {
        eventually().alias(n + " timers pending " + when).until(() -> node.stats().pendingTimers() == n);
    }

    /**
     * Waits until {@code pid} has finished the turn in which it did what the test just saw: its
     * receive timeout is re-armed (at the test clock's time now) before the test moves the clock.
     */
    private void settled(Pid<?> pid) {
        eventually().until(() -> node.info(pid).map(i -> i.status().equals("waiting")).orElse(false));
    }

    // ---------------------------------------------------------------- on the system clock

    @Test
    @TestNode
    void on_the_system_clock_send_after_delivers_the_message_once_the_delay_has_passed() {
        assertThat(node.config().clock()).isSameAs(NanoClock.SYSTEM);
        Probe probe = Probe.spawn(node);
        long start = System.nanoTime();

        node.sendAfter(probe.pid(), "tick", Duration.ofMillis(30));

        assertThat(probe.next()).isEqualTo("tick");
        assertThat(System.nanoTime() - start).as("never early").isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
        assertPending(node, 0, "at the end");
    }

    @Test
    @TestNode
    void on_the_system_clock_a_receive_timeout_fires_when_no_message_arrives() {
        Probe events = Probe.spawn(node);
        long start = System.nanoTime();

        node.spawn(Behaviors.<String>receive(m -> Behaviors.same()).receiveTimeout(Duration.ofMillis(20), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        }));

        assertThat(events.next()).isEqualTo("timeout");
        assertThat(System.nanoTime() - start).as("never early").isGreaterThanOrEqualTo(Duration.ofMillis(20).toNanos());
    }

    // ---------------------------------------------------------------- send_after

    @Test
    void a_timer_set_for_100_ms_is_pending_at_99_ms_and_fires_at_100(TestClock clock) {
        Probe probe = Probe.spawn(node);

        node.sendAfter(probe.pid(), "tick", Duration.ofMillis(100));
        clock.advanceMillis(99);

        assertPending(node, 1, "at 99 ms");
        assertThat(probe.received()).as("at 99 ms").isEmpty();

        clock.advanceMillis(1);

        assertPending(node, 0, "at 100 ms");
        assertThat(probe.next()).isEqualTo("tick");
        assertThat(probe.received()).as("once").isEmpty();
    }

    @Test
    void a_process_can_send_itself_a_message_later(TestClock clock) {
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> ctx.sendAfter("reminder", Duration.ofMillis(5)));
        clock.advanceMillis(4);
        assertThat(probe.received()).isEmpty();
        clock.advanceMillis(1);

        assertThat(probe.next()).isEqualTo("reminder");
    }

    @Test
    void timers_due_in_one_jump_of_the_clock_fire_in_the_order_of_their_deadlines(TestClock clock) {
        Probe probe = Probe.spawn(node);
        List<Integer> delays = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            delays.add(10 * i);
        }
        Collections.shuffle(delays, new Random(42));
        for (int delay : delays) {
            node.sendAfter(probe.pid(), delay, Duration.ofMillis(delay));
        }

        clock.advanceMillis(190);

        List<Object> fired = new ArrayList<>();
        for (int i = 0; i < delays.size(); i++) {
            fired.add(probe.next());
        }
        List<Integer> byDeadline = new ArrayList<>(delays);
        Collections.sort(byDeadline);
        assertThat(fired).containsExactlyElementsOf(byDeadline);
    }

    @Test
    void timers_with_the_same_deadline_fire_in_the_order_they_were_set(TestClock clock) {
        Probe probe = Probe.spawn(node);
        for (int i = 0; i < 50; i++) {
            node.sendAfter(probe.pid(), i, Duration.ofMillis(7));
        }

        clock.advanceMillis(7);

        List<Object> fired = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            fired.add(probe.next());
        }
        assertThat(fired).isEqualTo(IntStream.range(0, 50).boxed().toList());
    }

    @Test
    void cancel_before_it_fires_prevents_the_delivery(TestClock clock) {
        Probe probe = Probe.spawn(node);
        TimerRef cancelled = node.sendAfter(probe.pid(), "cancelled", Duration.ofMillis(500));
        node.sendAfter(probe.pid(), "later", Duration.ofMillis(550));
        clock.advanceMillis(499);

        assertThat(cancelled.cancel()).isTrue();
        clock.advanceMillis(101);

        assertThat(probe.next()).isEqualTo("later");
        assertThat(probe.received()).isEmpty();
        assertPending(node, 0, "at the end");
    }

    @Test
    void cancel_answers_true_only_for_a_timer_still_pending(TestClock clock) {
        Probe probe = Probe.spawn(node);
        TimerRef pending = node.sendAfter(probe.pid(), "never", Duration.ofHours(1));
        TimerRef fired = node.sendAfter(probe.pid(), "now", Duration.ZERO);
        clock.advanceMillis(1); // a zero delay fires on the wheel's next tick: the one now has been dealt with
        assertThat(probe.next()).isEqualTo("now");

        assertThat(pending.cancel()).isTrue();
        assertThat(pending.cancel()).as("cancelled already").isFalse();
        assertThat(fired.cancel()).as("fired already").isFalse();
        assertPending(node, 0, "at the end");
        clock.advance(Duration.ofHours(2));
        assertThat(probe.received()).isEmpty();
    }

    @Test
    void a_timer_further_out_than_one_turn_of_the_wheel_fires_on_time_not_on_an_earlier_turn() {
        // a 100 µs tick makes one turn of the 1024-slot wheel 102.4 ms: 330 ms is three turns and a bit
        TestClock clock = new TestClock();
        try (Node fine = Node.start(NodeConfig.defaults().withSchedulers(1).withTimerTick(Duration.ofNanos(100_000))
                .withThreadPrefix("mailroom-scheduler-fine").withClock(clock))) {
            Probe probe = Probe.spawn(fine);

            fine.sendAfter(probe.pid(), "three turns on", Duration.ofMillis(330));
            clock.advanceMillis(330 - 3 * 1024 / 10); // its slot on the first turn of the wheel: not yet
            assertPending(fine, 1, "before 330 ms");
            clock.advance(Duration.ofMillis(330).minusNanos(1).minus(clock.elapsed())); // a nanosecond early
            assertPending(fine, 1, "before 330 ms");
            assertThat(probe.received()).isEmpty();

            clock.advance(Duration.ofNanos(1));

            assertPending(fine, 0, "at 330 ms");
            assertThat(probe.next()).isEqualTo("three turns on");
        }
        assertThat(clock.followers()).as("its timer thread stops following at shutdown").isZero();
    }

    @Test
    void ten_thousand_timers_with_spread_delays_each_fire_once_and_only_when_due(TestClock clock) {
        int timers = 10_000;
        AtomicLong arrived = new AtomicLong();
        Pid<Integer> counter = node.spawn(Behaviors.receive(n -> {
            arrived.incrementAndGet();
            return Behaviors.same();
        }));
        Random random = new Random(7);
        int[] withDelay = new int[400];
        for (int i = 0; i < timers; i++) {
            int delay = random.nextInt(400);
            withDelay[delay]++;
            node.sendAfter(counter, i, Duration.ofMillis(delay));
        }

        int[] pendingAt = new int[400];
        for (int t = 1; t < 400; t++) {
            clock.advanceMillis(1);
            pendingAt[t] = pending();
        }

        int firedBy = withDelay[0];
        for (int t = 1; t < 400; t++) {
            firedBy += withDelay[t];
            assertThat(pendingAt[t]).as("pending at %d ms", t).isEqualTo(timers - firedBy);
        }
        assertThat(firedBy).isEqualTo(timers);
        eventually().until(() -> arrived.get() == timers);
        clock.advance(Duration.ofSeconds(1));
        counter.send(-1); // after anything the timers could still deliver: it counts last
        eventually().until(() -> arrived.get() >= timers + 1);
        assertThat(arrived.get()).as("each exactly once, and then -1").isEqualTo(timers + 1);
    }

    @Test
    void a_million_pending_timers_can_be_scheduled_and_cancelled(TestClock clock) {
        int timers = 1_000_000;
        Probe probe = Probe.spawn(node);
        TimerRef[] refs = new TimerRef[timers];

        for (int i = 0; i < timers; i++) {
            refs[i] = node.sendAfter(probe.pid(), "never", Duration.ofMinutes(10).plusMillis(i % 5_000));
        }
        assertThat(pending()).isEqualTo(timers);
        int cancelled = 0;
        for (TimerRef ref : refs) {
            cancelled += ref.cancel() ? 1 : 0;
        }

        assertThat(cancelled).isEqualTo(timers);
        assertPending(node, 0, "at the end");
        node.sendAfter(probe.pid(), "still ticking", Duration.ofMillis(5));
        clock.advance(Duration.ofMinutes(20));
        assertThat(probe.next()).isEqualTo("still ticking");
        assertThat(probe.received()).isEmpty();
    }

    @Test
    void a_timer_for_a_process_that_has_ended_is_dropped(TestClock clock) {
        Probe probe = Probe.spawn(node);
        probe.stop(ExitReason.NORMAL);
        awaitEnded(node, probe.pid());
        long droppedBefore = node.stats().messagesDropped();

        node.sendAfter(probe.pid(), "too late", Duration.ofMillis(5));
        clock.advanceMillis(4);
        assertThat(node.stats().messagesDropped()).isEqualTo(droppedBefore);
        clock.advanceMillis(1);

        eventually().until(() -> node.stats().messagesDropped() == droppedBefore + 1);
        assertPending(node, 0, "at the end");
    }

    // ---------------------------------------------------------------- receive ... after

    @Test
    void a_receive_timeout_fires_when_no_message_arrives_and_not_before(TestClock clock) {
        Probe events = Probe.spawn(node);

        node.spawn(Behaviors.<String>receive(m -> Behaviors.same()).receiveTimeout(Duration.ofMillis(20), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        }));
        eventually().until(() -> pending() == 1);
        clock.advanceMillis(19);
        assertPending(node, 1, "at 19 ms");
        clock.advanceMillis(1);

        assertThat(events.next()).isEqualTo("timeout");
    }

    @Test
    void a_receive_timeout_fires_again_each_time_the_process_stays_idle_as_long(TestClock clock) {
        Probe events = Probe.spawn(node);
        int[] fired = {0};

        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.same())
                .receiveTimeout(Duration.ofMillis(5), ctx -> {
                    events.pid().send("timeout " + ++fired[0] + " at " + clock.elapsed().toMillis() + " ms");
                    return fired[0] == 3 ? Behaviors.stopped() : Behaviors.same();
                }));
        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            eventually().until(() -> pending() == 1);
            settled(pid);
            clock.advanceMillis(4);
            assertPending(node, 1, String.format("4 ms into idle spell %d", i + 1));
            clock.advanceMillis(1);
            seen.add(events.next());
        }

        assertThat(seen).containsExactly("timeout 1 at 5 ms", "timeout 2 at 10 ms", "timeout 3 at 15 ms");
    }

    @Test
    void a_receive_timeout_restarts_each_time_a_message_is_handled(TestClock clock) {
        // a message every 400 ms keeps a 500 ms timeout from firing; after the last it fires 500 ms on
        Probe events = Probe.spawn(node);
        Pid<Integer> pid = node.spawn(Behaviors.<Integer>receive(n -> {
            events.pid().send("message " + n);
            return Behaviors.same();
        }).receiveTimeout(Duration.ofMillis(500), ctx -> {
            events.pid().send("timeout at " + clock.elapsed().toMillis() + " ms");
            return Behaviors.stopped();
        }));
        eventually().until(() -> pending() == 1);

        for (int n = 1; n <= 3; n++) {
            clock.advanceMillis(400);
            assertPending(node, 1, String.format("%d ms", 400 * n));
            pid.send(n);
            assertThat(events.next()).isEqualTo("message " + n);
            settled(pid);
        }
        clock.advanceMillis(499);
        assertPending(node, 1, "499 ms after the last message");
        clock.advanceMillis(1);

        assertThat(events.next()).isEqualTo("timeout at 1700 ms");
    }

    @Test
    void an_unhandled_message_does_not_restart_the_receive_timeout(TestClock clock) {
        // As in Erlang, only a message the receive accepts restarts its after-timer: the timeout
        // (1 s) fires 1 s after the start although a message was offered (and deferred) at 0.5 s.
        Probe events = Probe.spawn(node);
        Behavior<String> done = Behaviors.receive(m -> {
            events.pid().send("offered after timeout: " + m);
            return Behaviors.same();
        });
        Pid<String> pid = node.spawn(Behaviors.<String>setup(ctx -> {
            ctx.sendAfter("early", Duration.ofMillis(500));
            ctx.sendAfter("late", Duration.ofMillis(1250));
            return Behaviors.<String>receive(m -> {
                events.pid().send("offered: " + m);
                return Behaviors.unhandled();
            }).receiveTimeout(Duration.ofMillis(1000), c -> {
                events.pid().send("timeout at " + clock.elapsed().toMillis() + " ms");
                return done;
            });
        }));
        eventually().until(() -> pending() == 3);

        clock.advanceMillis(500);
        assertThat(events.next()).isEqualTo("offered: early");
        settled(pid);
        clock.advanceMillis(499);
        assertPending(node, 2, "at 999 ms: the timeout and late");
        clock.advanceMillis(1);
        assertThat(events.next()).isEqualTo("timeout at 1000 ms");
        assertThat(events.next()).isEqualTo("offered after timeout: early");
        clock.advanceMillis(250);
        assertThat(events.next()).isEqualTo("offered after timeout: late");
        assertThat(events.received()).isEmpty();
    }

    @Test
    void changing_to_a_behaviour_without_a_timeout_cancels_the_pending_one(TestClock clock) {
        Probe events = Probe.spawn(node);
        Behavior<String> calm = Behaviors.receive(m -> {
            events.pid().send("calm: " + m);
            return Behaviors.same();
        });
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> calm).receiveTimeout(Duration.ofHours(1), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        }));
        eventually().until(() -> pending() == 1);

        pid.send("settle down");

        assertPending(node, 0, "at the end");
        clock.advance(Duration.ofHours(2));
        pid.send("still here");
        assertThat(events.next()).isEqualTo("calm: still here");
        assertThat(events.received()).isEmpty();
    }

    @Test
    void a_process_that_ends_cancels_its_receive_timeout() {
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.stopped())
                .receiveTimeout(Duration.ofHours(1), ctx -> Behaviors.stopped()));
        eventually().until(() -> pending() == 1);

        pid.send("stop");

        assertPending(node, 0, "at the end");
    }
}
