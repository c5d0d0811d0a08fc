package io.mailroom.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer wheel counts its ticks from when it was made, not from when its thread first ran: a
 * node's timers may be set before the thread gets going (a loaded machine starts it late), and
 * those due by then must still fire in the order of their deadlines. Its thread used to start
 * counting at its first turn and put every such timer into that turn's bucket, in the order set
 * (TimerTest's jump test failed so once in a full run at load 5.9).
 */
@Timeout(30)
class TimersStartTest {

    @Test
    void timers_due_before_the_timer_thread_first_runs_fire_in_the_order_of_their_deadlines() {
        AtomicLong now = new AtomicLong(TimeUnit.DAYS.toNanos(1));
        Timers timers = new Timers(TimeUnit.MILLISECONDS.toNanos(1), "timers-start-test", now::get);
        List<Object> fired = new CopyOnWriteArrayList<>();
        List<Integer> delays = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            delays.add(10 * i);
        }
        Collections.shuffle(delays, new Random(42));
        for (int delay : delays) {
            timers.schedule(fired::add, delay, TimeUnit.MILLISECONDS.toNanos(delay));
        }
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(190)); // every one is due before the thread's first turn

        timers.start(new Scheduler(NodeConfig.defaults()));
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> fired.size() == delays.size());
            assertThat(fired).containsExactlyElementsOf(delays.stream().sorted().toList());
        } finally {
            timers.shutdown();
        }
    }
}
