package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.process.ProcessTesting.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestClock;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Node#describe} (sys:get_state) and {@link Node#trace} (sys:trace) on the runtime alone. */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode(schedulers = 2)
class DescribeAndTraceTest {

    private final Node node;

    DescribeAndTraceTest(Node node) {
        this.node = node;
    }

    static Behavior<Integer> summing(int sum) {
        return Behaviors.<Integer>receive(n -> n < 0 ? Behaviors.stopped() : summing(sum + n))
                .describedBy(() -> Map.of("sum", sum));
    }

    @Test
    void the_description_is_the_current_behaviours_asked_between_messages() {
        Pid<Integer> pid = node.spawn(summing(0));
        for (int i = 1; i <= 100; i++) {
            pid.send(i);
        }
        // a system message goes ahead of the mailbox, between two messages: the answer is the state
        // after some prefix of the 100, never one caught in the middle of a handler
        int sum = (Integer) await(node.describe(pid, WAIT)).orElseThrow().get("sum");
        assertThat(sum).isBetween(0, 5050);
        eventually().until(() -> (Integer) await(node.describe(pid, WAIT)).orElseThrow().get("sum") == 5050);
    }

    @Test
    void a_behaviour_without_a_description_answers_empty_and_one_that_throws_fails_the_request_only() {
        Pid<Object> plain = node.spawn(Behaviors.receive(m -> Behaviors.same()));
        assertThat(await(node.describe(plain, WAIT))).isEmpty();

        Pid<Object> broken = node.spawn(Behaviors.receive(m -> Behaviors.same()).describedBy(() -> {
            throw new IllegalStateException("cannot say");
        }));
        assertThat(failureOf(node.describe(broken, WAIT))).isInstanceOf(IllegalStateException.class);
        assertThat(broken.isAlive()).isTrue();
    }

    @Test
    @TestNode(schedulers = 2, testClock = true)
    void a_busy_process_times_out_and_a_dead_one_fails_with_its_exit(TestClock clock) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Pid<Object> busy = node.spawn(Behaviors.receive(m -> {
            try {
                release.await(30, TimeUnit.SECONDS); // a handler that does not return: busy, or stuck
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Behaviors.same();
        }));
        busy.send("hold");
        eventually().until(() -> ((Cell<?>) busy).status().equals("running"));
        CompletableFuture<?> described = node.describe(busy, Duration.ofMillis(200));
        clock.advanceMillis(199);
        assertThat(described).as("at 199 ms").isNotDone();
        clock.advanceMillis(1);
        assertThat(failureOf(described)).isInstanceOf(TimeoutException.class);
        release.countDown();

        Pid<Integer> ending = node.spawn(summing(0));
        ending.send(-1);
        ProcessTesting.awaitEnded(node, ending);
        assertThat(failureOf(node.describe(ending, WAIT))).isInstanceOf(ProcessExitException.class);
    }

    /** Records what it is told. */
    static final class Recorder implements Tracer {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void handled(Pid<?> process, Object message, Outcome outcome) {
            seen.add(message + ":" + outcome.label());
        }

        @Override
        public void ended(Pid<?> process, ExitReason reason) {
            seen.add("ended:" + reason);
        }
    }

    @Test
    void a_tracer_hears_each_message_with_its_outcome_and_the_end_and_then_the_flag_is_down() {
        Pid<Integer> pid = node.spawn(summing(0));
        Recorder recorder = new Recorder();
        assertThat(node.trace(pid, recorder)).isTrue();
        assertThat(node.trace(pid, new Recorder())).as("one tracer at a time").isFalse();
        assertThat(node.tracing).isEqualTo(1);
        pid.send(1);
        pid.send(-1);
        eventually().until(() -> recorder.seen.size() == 3);
        assertThat(recorder.seen).containsExactly("1:changed", "-1:stopped", "ended:normal");
        assertThat(node.tracing).as("detached at the end").isZero();
    }

    @Test
    void untracing_stops_the_events_and_lowers_the_flag() {
        Pid<Object> pid = node.spawn(Behaviors.receive(m -> {
            if (m instanceof CompletableFuture<?> done) {
                done.complete(null);
            }
            return Behaviors.same();
        }));
        Recorder recorder = new Recorder();
        assertThat(node.trace(pid, recorder)).isTrue();
        pid.send("a");
        eventually().until(() -> recorder.seen.equals(List.of("a:same")));
        assertThat(node.untrace(pid, recorder)).isTrue();
        assertThat(node.untrace(pid, recorder)).isFalse();
        assertThat(node.tracing).isZero();
        pid.send("b");
        CompletableFuture<Object> handled = new CompletableFuture<>();
        pid.send(handled);
        await(handled); // "b" was handled before it
        assertThat(recorder.seen).containsExactly("a:same");
    }
}
