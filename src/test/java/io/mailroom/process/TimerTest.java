package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Timers: {@code erlang:send_after/3} and {@code cancel_timer/1}, and the {@code after} clause of a
 * receive. Only lower bounds on time are checked (a timer never fires early); a loaded machine
 * may always make one late.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TimerTest {

    private final Node node = Node.start();

    @AfterEach
    void shutDown() {
        node.shutdown();
    }

    // ---------------------------------------------------------------- send_after

    @Test
    void send_after_delivers_the_message_once_the_delay_has_passed() {
        Probe probe = Probe.spawn(node);
        long start = System.nanoTime();

        node.sendAfter(probe.pid(), "tick", Duration.ofMillis(30));

        assertThat(probe.next()).isEqualTo("tick");
        assertThat(System.nanoTime() - start).as("never early").isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
        eventually().until(() -> node.stats().pendingTimers() == 0);
    }

    @Test
    void a_process_can_send_itself_a_message_later() {
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> ctx.sendAfter("reminder", Duration.ofMillis(5)));

        assertThat(probe.next()).isEqualTo("reminder");
    }

    @Test
    void timers_fire_in_the_order_of_their_deadlines() {
        Probe probe = Probe.spawn(node);
        List<Integer> delays = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            delays.add(10 * i);
        }
        Collections.shuffle(delays, new Random(42));
        long[] earliestDeadline = new long[20]; // by delay / 10: bounds on when each was scheduled
        long[] latestDeadline = new long[20];

        for (int delay : delays) {
            long before = System.nanoTime();
            node.sendAfter(probe.pid(), delay, Duration.ofMillis(delay));
            earliestDeadline[delay / 10] = before + Duration.ofMillis(delay).toNanos();
            latestDeadline[delay / 10] = System.nanoTime() + Duration.ofMillis(delay).toNanos();
        }

        List<Integer> fired = new ArrayList<>();
        for (int i = 0; i < delays.size(); i++) {
            fired.add((Integer) probe.next());
        }
        assertThat(fired).containsExactlyInAnyOrderElementsOf(delays);
        long tick = node.config().timerTick().toNanos();
        for (int i = 1; i < fired.size(); i++) {
            int a = fired.get(i - 1) / 10;
            int b = fired.get(i) / 10;
            // a fired before b: a's deadline was not later than b's (within the tick they may share)
            assertThat(earliestDeadline[a]).as("%s ms fired before %s ms", fired.get(i - 1), fired.get(i))
                    .isLessThanOrEqualTo(latestDeadline[b] + tick);
        }
    }

    @Test
    void cancel_before_it_fires_prevents_the_delivery() {
        Probe probe = Probe.spawn(node);
        TimerRef cancelled = node.sendAfter(probe.pid(), "cancelled", Duration.ofMillis(500));
        node.sendAfter(probe.pid(), "later", Duration.ofMillis(550));

        assertThat(cancelled.cancel()).isTrue();

        // timers fire in deadline order: once "later" is here, "cancelled" would have been too
        assertThat(probe.next()).isEqualTo("later");
        assertThat(probe.received()).isEmpty();
    }

    @Test
    void cancel_answers_true_only_for_a_timer_still_pending() {
        Probe probe = Probe.spawn(node);
        TimerRef pending = node.sendAfter(probe.pid(), "never", Duration.ofHours(1));
        TimerRef fired = node.sendAfter(probe.pid(), "now", Duration.ZERO);
        assertThat(probe.next()).isEqualTo("now");

        assertThat(pending.cancel()).isTrue();
        assertThat(pending.cancel()).as("cancelled already").isFalse();
        assertThat(fired.cancel()).as("fired already").isFalse();
        assertThat(node.stats().pendingTimers()).isZero();
    }

    @Test
    void a_timer_further_out_than_one_turn_of_the_wheel_fires_and_not_early() {
        // a 100 µs tick makes one turn of the 1024-slot wheel about 102 ms
        NodeConfig fineTicks = new NodeConfig(2, 100, 50, Duration.ofNanos(100_000), 10, "mailroom-scheduler",
                PidStyle.ERLANG);
        try (Node fine = Node.start(fineTicks)) {
            Probe probe = Probe.spawn(fine);
            long start = System.nanoTime();

            fine.sendAfter(probe.pid(), "three turns on", Duration.ofMillis(330));

            assertThat(probe.next()).isEqualTo("three turns on");
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(330).toNanos());
        }
    }

    @Test
    void ten_thousand_timers_with_spread_delays_each_fire_exactly_once() {
        int timers = 10_000;
        AtomicLong arrived = new AtomicLong();
        Pid<Integer> counter = node.spawn(Behaviors.receive(n -> {
            arrived.incrementAndGet();
            return Behaviors.same();
        }));
        Random random = new Random(7);

        for (int i = 0; i < timers; i++) {
            node.sendAfter(counter, i, Duration.ofMillis(random.nextInt(400)));
        }

        eventually().until(() -> arrived.get() == timers);
        assertThat(node.stats().pendingTimers()).isZero();
    }

    @Test
    void a_million_pending_timers_can_be_scheduled_and_cancelled() {
        int timers = 1_000_000;
        Probe probe = Probe.spawn(node);
        TimerRef[] refs = new TimerRef[timers];

        for (int i = 0; i < timers; i++) {
            refs[i] = node.sendAfter(probe.pid(), "never", Duration.ofMinutes(10).plusMillis(i % 5_000));
        }
        assertThat(node.stats().pendingTimers()).isEqualTo(timers);
        int cancelled = 0;
        for (TimerRef ref : refs) {
            cancelled += ref.cancel() ? 1 : 0;
        }

        assertThat(cancelled).isEqualTo(timers);
        assertThat(node.stats().pendingTimers()).isZero();
        node.sendAfter(probe.pid(), "still ticking", Duration.ofMillis(5));
        assertThat(probe.next()).isEqualTo("still ticking");
    }

    @Test
    void a_timer_for_a_process_that_has_ended_is_dropped() {
        Probe probe = Probe.spawn(node);
        probe.stop(ExitReason.NORMAL);
        awaitEnded(node, probe.pid());
        long droppedBefore = node.stats().messagesDropped();

        node.sendAfter(probe.pid(), "too late", Duration.ofMillis(5));

        eventually().until(() -> node.stats().messagesDropped() == droppedBefore + 1);
        assertThat(node.stats().pendingTimers()).isZero();
    }

    // ---------------------------------------------------------------- receive ... after

    @Test
    void a_receive_timeout_fires_when_no_message_arrives() {
        Probe events = Probe.spawn(node);

        node.spawn(Behaviors.<String>receive(m -> Behaviors.same()).receiveTimeout(Duration.ofMillis(20), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        }));

        assertThat(events.next()).isEqualTo("timeout");
    }

    @Test
    void a_receive_timeout_fires_again_while_the_process_stays_idle() {
        Probe events = Probe.spawn(node);
        int[] fired = {0};

        node.spawn(Behaviors.<String>receive(m -> Behaviors.same()).receiveTimeout(Duration.ofMillis(5), ctx -> {
            events.pid().send("timeout " + ++fired[0]);
            return fired[0] == 3 ? Behaviors.stopped() : Behaviors.same();
        }));

        assertThat(List.of(events.next(), events.next(), events.next())).containsExactly("timeout 1", "timeout 2", "timeout 3");
    }

    @Test
    void a_receive_timeout_restarts_each_time_a_message_is_handled() {
        // Each message asks for the next one 100 ms later; the timeout is 500 ms: it only fires
        // after the last. (Timers fire in deadline order, so this holds however slow the machine.)
        Probe events = Probe.spawn(node);
        Behavior<Integer> waiting = Behaviors.<Integer>receive((ctx, n) -> {
            events.pid().send("message " + n);
            if (n < 4) {
                ctx.sendAfter(n + 1, Duration.ofMillis(100));
            }
            return Behaviors.same();
        }).receiveTimeout(Duration.ofMillis(500), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        });

        node.spawn(Behaviors.<Integer>setup(ctx -> {
            ctx.self().send(1);
            return waiting;
        }));

        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            seen.add(events.next());
        }
        assertThat(seen).containsExactly("message 1", "message 2", "message 3", "message 4", "timeout");
    }

    @Test
    void an_unhandled_message_does_not_restart_the_receive_timeout() {
        // As in Erlang, only a message the receive accepts restarts its after-timer: the timeout
        // (1 s) comes between a message deferred at 0.5 s and one at 1.25 s, which had the first
        // restarted it, would have come before it.
        Probe events = Probe.spawn(node);
        Behavior<String> done = Behaviors.receive(m -> {
            events.pid().send("offered after timeout: " + m);
            return Behaviors.same();
        });
        node.spawn(Behaviors.<String>setup(ctx -> {
            ctx.sendAfter("early", Duration.ofMillis(500));
            ctx.sendAfter("late", Duration.ofMillis(1250));
            return Behaviors.<String>receive(m -> {
                events.pid().send("offered: " + m);
                return Behaviors.unhandled();
            }).receiveTimeout(Duration.ofMillis(1000), c -> {
                events.pid().send("timeout");
                return done;
            });
        }));

        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(events.next());
        }
        assertThat(seen).containsExactly("offered: early", "timeout", "offered after timeout: early",
                "offered after timeout: late");
    }

    @Test
    void changing_to_a_behaviour_without_a_timeout_cancels_the_pending_one() {
        Probe events = Probe.spawn(node);
        Behavior<String> calm = Behaviors.receive(m -> {
            events.pid().send("calm: " + m);
            return Behaviors.same();
        });
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> calm).receiveTimeout(Duration.ofHours(1), ctx -> {
            events.pid().send("timeout");
            return Behaviors.stopped();
        }));
        eventually().until(() -> node.stats().pendingTimers() == 1);

        pid.send("settle down");

        eventually().until(() -> node.stats().pendingTimers() == 0);
        pid.send("still here");
        assertThat(events.next()).isEqualTo("calm: still here");
    }

    @Test
    void a_process_that_ends_cancels_its_receive_timeout() {
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.stopped())
                .receiveTimeout(Duration.ofHours(1), ctx -> Behaviors.stopped()));
        eventually().until(() -> node.stats().pendingTimers() == 1);

        pid.send("stop");

        eventually().until(() -> node.stats().pendingTimers() == 0);
    }
}
