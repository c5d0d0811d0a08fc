package io.mailroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code Behaviors.receive(onMessage, onSignal)}: a behaviour with a signal handler whose message type
 * is inferred from where it goes, without {@code Behaviors.<Msg>receive}. That this class compiles is
 * half the test.
 */
@TestNode
class BehaviorsInferenceTest {

    sealed interface Msg {}

    record Add(long by) implements Msg {}

    record Get(Pid<Long> replyTo) implements Msg {}

    static Behavior<Msg> counting(long count, CompletableFuture<Long> atStop) {
        return Behaviors.receive(msg -> switch (msg) {
            case Add(var by) -> counting(count + by, atStop);
            case Get(var replyTo) -> {
                replyTo.send(count);
                yield Behaviors.same();
            }
        }, (ctx, signal) -> {
            if (signal instanceof Signal.PostStop) {
                atStop.complete(count);
            }
            return Behaviors.same();
        });
    }

    static Behavior<Msg> withContext(CompletableFuture<Long> atStop) {
        return Behaviors.setup(ctx -> Behaviors.receive((c, msg) -> switch (msg) {
            case Add(var by) -> Behaviors.stopped();
            case Get(var replyTo) -> {
                replyTo.send(c.self().id());
                yield Behaviors.same();
            }
        }, (c, signal) -> {
            if (signal instanceof Signal.PostStop) {
                atStop.complete(-1L);
            }
            return Behaviors.same();
        }));
    }

    @Test
    @Timeout(30)
    void aBehaviourWithASignalHandlerNeedsNoTypeWitness(Node node) throws Exception {
        CompletableFuture<Long> atStop = new CompletableFuture<>();
        Pid<Msg> pid = node.spawn(counting(0, atStop));
        pid.send(new Add(2));
        pid.send(new Add(3));

        assertThat(node.call(pid, Get::new, Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS)).isEqualTo(5L);
        node.exit(pid, ExitReason.KILL);
        node.whenExited(pid).get(20, TimeUnit.SECONDS);

        CompletableFuture<Long> stopped = new CompletableFuture<>();
        Pid<Msg> other = node.spawn(withContext(stopped));
        assertThat(node.call(other, Get::new, Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS))
                .isEqualTo(other.id());
        other.send(new Add(1));
        assertThat(stopped.get(20, TimeUnit.SECONDS)).as("the signal handler ran").isEqualTo(-1L);
    }
}
