package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ProcessContext#pipeToSelf} and {@link ProcessContext#ask}: a future's outcome, or a
 * request's reply, arrives as a message to the process, in mailbox order, mapped on the process's
 * own turn; a timeout, a dead target or a target that dies are mapped failures; and a process that
 * ends before the answer leaves nothing behind.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class PipeToSelfTest {

    private final Node node;

    PipeToSelfTest(Node node) {
        this.node = node;
    }

    /** What the mappers below turn an outcome into. */
    record Outcome(Object value, Throwable failure, String mappedOn) {}

    private static Outcome outcome(Object value, Throwable failure) {
        return new Outcome(value, failure, Thread.currentThread().getName());
    }

    sealed interface Request {}

    /** Answered with {@code n * 2}. */
    record Doubled(int n, Pid<Integer> replyTo) implements Request {}

    /** Kept unanswered until {@link Release}. */
    record Hold(Pid<Integer> replyTo) implements Request {}

    /** Answers every held request with {@code value}. */
    record Release(int value) implements Request {}

    record Quit() implements Request {}

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
            case Quit q -> Behaviors.stopped();
        });
    }

    private static void pipe(Probe probe, CompletableFuture<?> future) {
        probe.inside(ctx -> {
            ctx.pipeToSelf(future, PipeToSelfTest::outcome);
            return null;
        });
    }

    @Test
    void outcomes_arrive_in_the_order_the_futures_completed_behind_what_was_sent_before() {
        Probe probe = Probe.spawn(node);
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        CompletableFuture<String> third = new CompletableFuture<>();
        pipe(probe, first);
        pipe(probe, second);
        pipe(probe, third);

        probe.pid().send("before");
        third.complete("c");
        second.complete("b");
        probe.pid().send("between");
        first.complete("a");
        probe.pid().send("after");

        List<Object> received = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Object next = probe.next();
            received.add(next instanceof Outcome o ? o.value() : next);
        }
        assertThat(received).containsExactly("before", "c", "b", "between", "a", "after");
    }

    @Test
    void the_mapper_runs_on_the_process_turn_not_on_the_thread_that_completed_the_future() throws InterruptedException {
        Probe probe = Probe.spawn(node);
        CompletableFuture<String> future = new CompletableFuture<>();
        pipe(probe, future);
        String handlerThread = probe.inside(ctx -> Thread.currentThread().getName());

        Thread completer = Thread.ofPlatform().name("completer").start(() -> future.complete("done"));
        completer.join(WAIT.toMillis());

        Outcome o = probe.next(Outcome.class);
        assertThat(o.value()).isEqualTo("done");
        assertThat(handlerThread).startsWith("mailroom-scheduler");
        assertThat(o.mappedOn()).startsWith("mailroom-scheduler");
    }

    @Test
    void an_already_completed_future_arrives_as_a_message_too() {
        Probe probe = Probe.spawn(node);
        pipe(probe, CompletableFuture.completedFuture(7));

        assertThat(probe.next(Outcome.class).value()).isEqualTo(7);
    }

    @Test
    void a_failed_future_is_mapped_with_its_cause_not_a_completion_exception() {
        Probe probe = Probe.spawn(node);
        IllegalStateException boom = new IllegalStateException("boom");
        CompletableFuture<Integer> failed = new CompletableFuture<>();
        pipe(probe, failed.thenApply(x -> x + 1)); // a dependent stage wraps the cause in a CompletionException

        failed.completeExceptionally(boom);

        Outcome o = probe.next(Outcome.class);
        assertThat(o.value()).isNull();
        assertThat(o.failure()).isSameAs(boom);
    }

    @Test
    void a_mapper_that_throws_crashes_the_process_as_a_handler_would() {
        Probe probe = Probe.spawn(node);
        IllegalArgumentException bad = new IllegalArgumentException("bad mapping");
        probe.inside(ctx -> {
            ctx.pipeToSelf(CompletableFuture.completedFuture(1), (v, t) -> {
                throw bad;
            });
            return null;
        });

        assertThat(probe.exitReason()).isEqualTo(ExitReason.crash(bad));
    }

    @Test
    void ask_delivers_the_reply_mapped() {
        Pid<Request> server = node.spawn(server());
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.<Request, Integer>ask(server, r -> new Doubled(21, r), WAIT, PipeToSelfTest::outcome);
            return null;
        });

        Outcome o = probe.next(Outcome.class);
        assertThat(o.value()).isEqualTo(42);
        assertThat(o.failure()).isNull();
    }

    @Test
    void ask_without_a_reply_in_time_is_a_mapped_timeout_and_a_late_reply_is_dropped() {
        Pid<Request> server = node.spawn(server());
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.<Request, Integer>ask(server, Hold::new, Duration.ofMillis(50), PipeToSelfTest::outcome);
            return null;
        });

        assertThat(probe.next(Outcome.class).failure()).isInstanceOf(TimeoutException.class);
        long dropped = node.stats().messagesDropped();
        server.send(new Release(1));
        eventually().until(() -> node.stats().messagesDropped() == dropped + 1);
        assertThat(probe.received()).isEmpty();
    }

    @Test
    void ask_of_a_target_that_dies_first_is_a_mapped_exit_with_its_reason() {
        Pid<Request> server = node.spawn(server());
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.<Request, Integer>ask(server, Hold::new, WAIT, PipeToSelfTest::outcome);
            return null;
        });
        server.send(new Quit());

        Outcome o = probe.next(Outcome.class);
        assertThat(o.failure()).isInstanceOfSatisfying(ProcessExitException.class,
                e -> assertThat(e.reason()).isEqualTo(ExitReason.NORMAL));
    }

    @Test
    void ask_of_a_dead_target_is_a_mapped_noproc() {
        Pid<Request> server = node.spawn(server());
        server.send(new Quit());
        awaitEnded(node, server);
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.<Request, Integer>ask(server, r -> new Doubled(1, r), WAIT, PipeToSelfTest::outcome);
            return null;
        });

        assertThat(probe.next(Outcome.class).failure()).isInstanceOfSatisfying(ProcessExitException.class,
                e -> assertThat(e.reason()).isEqualTo(ExitReason.NOPROC));
    }

    @Test
    void an_asker_that_ends_before_the_reply_leaves_no_monitor_timer_or_message_behind() {
        Pid<Request> server = node.spawn(server());
        int timersBefore = node.stats().pendingTimers();
        AtomicReference<Throwable> mapped = new AtomicReference<>();
        Pid<String> asker = node.spawn(Behaviors.<String>setup(ctx -> {
            ctx.<Request, Integer>ask(server, Hold::new, WAIT, (v, t) -> {
                mapped.set(t == null ? new AssertionError("mapped " + v) : t);
                return "answer";
            });
            return Behaviors.receive(msg -> Behaviors.stopped());
        }));
        // the call monitors the server while it waits
        eventually().until(() -> node.info(server).orElseThrow().monitoredBy().size() == 1);
        asker.send("stop");
        awaitEnded(node, asker);

        long dropped = node.stats().messagesDropped();
        server.send(new Release(5));

        // the reply completed the call (its timer cancelled, its monitor removed) and went nowhere
        eventually().until(() -> node.info(server).orElseThrow().monitoredBy().isEmpty()
                && node.stats().pendingTimers() == timersBefore);
        eventually().until(() -> node.stats().messagesDropped() == dropped + 1);
        assertThat(mapped.get()).isNull(); // no mapper ran for a process that had ended
        assertThat(await(node.<Request, Integer>call(server, r -> new Doubled(2, r), WAIT))).isEqualTo(4);
    }
}
