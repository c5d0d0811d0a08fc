package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.process.ProcessTesting.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestClock;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Node#call}: request and reply from outside the runtime, as {@code gen_server:call}: the
 * first reply completes the future; no reply in time fails it with a timeout and a late reply is
 * dropped; a callee that is dead, or dies before answering, fails it with its exit reason.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class CallTest {

    private final Node node;

    CallTest(Node node) {
        this.node = node;
    }

    sealed interface Request {}

    /** Answered with {@code n * 2}. */
    record Doubled(int n, Pid<Integer> replyTo) implements Request {}

    /** Kept unanswered until {@link Release}. */
    record Hold(Pid<Integer> replyTo) implements Request {}

    /** Answers every held request with {@code value}. */
    record Release(int value) implements Request {}

    /** Answered twice. */
    record Twice(Pid<Integer> replyTo) implements Request {}

    record Fail(RuntimeException error, Pid<Integer> replyTo) implements Request {}

    record Quit(Pid<Integer> replyTo) implements Request {}

    static Behavior<Request> server() {
        List<Pid<Integer>> held = new ArrayList<>();
        return Behaviors.receive(request -> switch (request) {
            case Doubled(var n, var replyTo) -> {
                replyTo.send(n * 2);
                yield Behaviors.same();
            }
            case Hold(var replyTo) -> {
                held.add(replyTo);
                yield Behaviors.same();
            }
            case Release(var value) -> {
                held.forEach(r -> r.send(value));
                held.clear();
                yield Behaviors.same();
            }
            case Twice(var replyTo) -> {
                replyTo.send(1);
                replyTo.send(2);
                yield Behaviors.same();
            }
            case Fail(var error, var replyTo) -> throw error;
            case Quit(var replyTo) -> Behaviors.stopped();
        });
    }

    @Test
    void a_call_completes_with_the_reply() {
        Pid<Request> server = node.spawn(server());

        CompletableFuture<Integer> reply = node.<Request, Integer>call(server, r -> new Doubled(21, r), WAIT);

        assertThat(await(reply)).isEqualTo(42);
    }

    @Test
    void concurrent_callers_each_get_their_own_reply() throws InterruptedException {
        Pid<Request> server = node.spawn(server());
        AtomicInteger wrong = new AtomicInteger();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int base = t * 10_000;
            callers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    int n = base + i;
                    if (await(node.<Request, Integer>call(server, r -> new Doubled(n, r), WAIT)) != n * 2) {
                        wrong.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : callers) {
            t.join(WAIT.toMillis());
        }

        assertThat(wrong).hasValue(0);
    }

    @Test
    void the_first_reply_wins_and_a_second_is_dropped() {
        Pid<Request> server = node.spawn(server());
        long droppedBefore = node.stats().messagesDropped();

        assertThat(await(node.<Request, Integer>call(server, Twice::new, WAIT))).isEqualTo(1);

        eventually().until(() -> node.stats().messagesDropped() == droppedBefore + 1);
    }

    @Test
    @TestNode(testClock = true)
    void a_call_with_no_reply_in_time_fails_with_a_timeout_and_not_before(TestClock clock) {
        Pid<Request> server = node.spawn(server());

        CompletableFuture<Integer> reply = node.<Request, Integer>call(server, Hold::new, Duration.ofMillis(20));
        clock.advanceMillis(19);
        assertThat(reply).as("at 19 ms").isNotDone();
        clock.advanceMillis(1);

        assertThat(reply).as("at 20 ms: the timer completed it before advance returned").isDone();
        assertThat(failureOf(reply)).isInstanceOf(TimeoutException.class);
    }

    @Test
    @TestNode(testClock = true)
    void a_reply_after_the_timeout_is_dropped_and_counted(TestClock clock) {
        Pid<Request> server = node.spawn(server());
        CompletableFuture<Integer> reply = node.<Request, Integer>call(server, Hold::new, Duration.ofMillis(20));
        clock.advanceMillis(20);
        assertThat(failureOf(reply)).isInstanceOf(TimeoutException.class);
        long droppedBefore = node.stats().messagesDropped();

        server.send(new Release(7));

        eventually().until(() -> node.stats().messagesDropped() == droppedBefore + 1);
        assertThat(reply).isCompletedExceptionally();
    }

    @Test
    void a_call_to_a_dead_process_fails_with_noproc() {
        Pid<Request> server = node.spawn(server());
        server.send(new Quit(null));
        awaitEnded(node, server);

        Throwable failure = failureOf(node.<Request, Integer>call(server, r -> new Doubled(1, r), WAIT));

        assertThat(failure).isInstanceOfSatisfying(ProcessExitException.class, e -> {
            assertThat(e.reason()).isEqualTo(ExitReason.NOPROC);
            assertThat(e.pid()).isSameAs(server);
        });
    }

    @Test
    void a_call_to_a_callee_that_crashes_on_the_request_fails_with_the_crash() {
        Pid<Request> server = node.spawn(server());
        IllegalStateException error = new IllegalStateException("cannot serve");

        Throwable failure = failureOf(node.<Request, Integer>call(server, r -> new Fail(error, r), WAIT));

        assertThat(failure).isInstanceOfSatisfying(ProcessExitException.class,
                e -> assertThat(e.reason()).isEqualTo(ExitReason.crash(error)));
    }

    @Test
    void a_call_to_a_callee_that_stops_without_replying_fails_with_its_exit_reason() {
        Pid<Request> server = node.spawn(server());

        Throwable failure = failureOf(node.<Request, Integer>call(server, Quit::new, WAIT));

        assertThat(failure).isInstanceOfSatisfying(ProcessExitException.class,
                e -> assertThat(e.reason()).isEqualTo(ExitReason.NORMAL));
    }

    @Test
    void a_call_fails_as_soon_as_the_callee_is_killed_while_it_holds_the_request() {
        Pid<Request> server = node.spawn(server());
        CompletableFuture<Integer> reply = node.<Request, Integer>call(server, Hold::new, WAIT);

        node.exit(server, ExitReason.KILL);

        assertThat(failureOf(reply)).isInstanceOfSatisfying(ProcessExitException.class,
                e -> assertThat(e.reason()).isEqualTo(ExitReason.KILLED));
    }

    @Test
    void an_answered_call_leaves_no_monitor_and_no_timer_behind() {
        Pid<Request> server = node.spawn(server());

        for (int i = 0; i < 100; i++) {
            await(node.<Request, Integer>call(server, r -> new Doubled(1, r), WAIT));
        }

        eventually().until(() -> node.info(server).orElseThrow().monitoredBy().isEmpty());
        eventually().until(() -> node.stats().pendingTimers() == 0);
    }

    @Test
    void calls_racing_the_callees_death_fail_and_leave_no_timer_behind() throws InterruptedException {
        java.util.concurrent.BlockingQueue<Pid<?>> toKill = new java.util.concurrent.SynchronousQueue<>();
        Thread killer = Thread.ofPlatform().start(() -> {
            try {
                for (;;) {
                    node.exit(toKill.take(), ExitReason.KILL);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        for (int i = 0; i < 5_000; i++) {
            Pid<Request> server = node.spawn(server());
            toKill.put(server); // the kill races the call below
            CompletableFuture<Integer> reply = node.<Request, Integer>call(server, Hold::new, Duration.ofHours(1));

            assertThat(failureOf(reply)).isInstanceOf(ProcessExitException.class);
        }
        killer.interrupt();

        eventually().until(() -> node.stats().pendingTimers() == 0);
    }

    @Test
    void a_call_whose_request_cannot_be_built_fails_with_that_error() {
        Pid<Request> server = node.spawn(server());
        IllegalArgumentException error = new IllegalArgumentException("bad request");

        Throwable failure = failureOf(node.<Request, Integer>call(server, r -> {
            throw error;
        }, WAIT));

        assertThat(failure).isSameAs(error);
    }
}
