package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Behaviours: the state of a process is the behaviour that handles its next message, as Erlang's
 * {@code loop(State)}; {@code setup} runs in the new process; {@code same}, {@code stopped} and
 * {@code unhandled} are answers, not behaviours.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class BehaviorTest {

    private final Node node;

    BehaviorTest(Node node) {
        this.node = node;
    }

    sealed interface Msg {}

    record Increment(long by) implements Msg {}

    record Get(Pid<Long> replyTo) implements Msg {}

    /** The design notes' counter: the count lives in the behaviour. */
    static Behavior<Msg> counting(long count) {
        return Behaviors.receive(msg -> switch (msg) {
            case Increment(var by) -> counting(count + by);
            case Get(var replyTo) -> {
                replyTo.send(count);
                yield Behaviors.same();
            }
        });
    }

    @Test
    void the_behaviour_a_handler_returns_handles_the_next_message_and_so_holds_the_state() {
        Pid<Msg> counter = node.spawn(counting(0));

        for (int i = 0; i < 1_000; i++) {
            counter.send(new Increment(1));
        }

        assertThat(await(node.<Msg, Long>call(counter, Get::new, WAIT))).isEqualTo(1_000);
    }

    @Test
    void setup_runs_in_the_new_process_with_itself_and_its_parent_known() {
        Probe parent = Probe.spawn(node);
        CompletableFuture<Pid<?>> selfInSetup = new CompletableFuture<>();
        CompletableFuture<Pid<?>> parentInSetup = new CompletableFuture<>();

        Pid<Object> child = parent.inside(ctx -> ctx.spawn(Behaviors.setup(c -> {
            selfInSetup.complete(c.self());
            parentInSetup.complete(c.parent().orElse(null));
            return Behaviors.ignore();
        })));

        assertThat(await(selfInSetup)).isSameAs(child);
        assertThat(await(parentInSetup)).isSameAs(parent.pid());
    }

    @Test
    void a_setup_may_return_another_setup() {
        CompletableFuture<String> reached = new CompletableFuture<>();

        node.spawn(Behaviors.<String>setup(outer -> Behaviors.setup(inner -> {
            reached.complete("inner setup ran");
            return Behaviors.ignore();
        })));

        assertThat(await(reached)).isEqualTo("inner setup ran");
    }

    @Test
    void a_setup_that_returns_stopped_ends_the_process_with_that_reason() {
        Probe parent = Probe.spawn(node);

        ProcessContext.Spawned<Object> child = parent.inside(ctx -> ctx.spawnMonitor(
                Behaviors.setup(c -> Behaviors.stopped(ExitReason.of("nothing to do"))), SpawnOptions.DEFAULT));

        assertThat(parent.nextDown()).isEqualTo(new Signal.Down(child.ref(), child.pid(), ExitReason.of("nothing to do")));
    }

    @Test
    void a_handler_returning_stopped_ends_the_process_normally() {
        Pid<String> pid = node.spawn(Behaviors.receive(m -> Behaviors.stopped()));
        CompletableFuture<ExitReason> exited = node.whenExited(pid);

        pid.send("stop");

        assertThat(await(exited)).isEqualTo(ExitReason.NORMAL);
    }

    @Test
    void post_stop_is_offered_once_with_the_reason_when_the_process_ends() {
        Probe events = Probe.spawn(node);
        Pid<String> pid = node.spawn(Behaviors.<String>receive(m -> Behaviors.stopped(ExitReason.SHUTDOWN))
                .onSignal((ctx, signal) -> {
                    events.pid().send("signal " + signal);
                    return Behaviors.same();
                }));

        pid.send("stop");

        assertThat(events.next()).isEqualTo("signal " + new Signal.PostStop(ExitReason.SHUTDOWN));
        ProcessTesting.awaitEnded(node, pid);
        assertThat(events.received()).isEmpty();
    }

    @Test
    void answers_are_not_behaviours() {
        assertThatThrownBy(() -> node.spawn(Behaviors.same())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> node.spawn(Behaviors.stopped())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Behaviors.same().onSignal((ctx, s) -> Behaviors.same()))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Behaviors.unhandled().receiveTimeout(Duration.ofSeconds(1), ctx -> Behaviors.same()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_negative_receive_timeout_is_refused() {
        assertThatThrownBy(() -> Behaviors.ignore().receiveTimeout(Duration.ofMillis(-1), ctx -> Behaviors.same()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_setup_returning_an_answer_other_than_stopped_crashes_the_process() {
        Probe parent = Probe.spawn(node);

        ProcessContext.Spawned<Object> child = parent.inside(ctx -> ctx.spawnMonitor(
                Behaviors.setup(c -> Behaviors.same()), SpawnOptions.DEFAULT));

        assertThat(parent.nextDown().reason()).isInstanceOfSatisfying(ExitReason.Crash.class,
                crash -> assertThat(crash.error()).isInstanceOf(IllegalStateException.class));
        assertThat(child.pid().isAlive()).isFalse();
    }
}
