package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.process.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Threads never die silently (issue 11): an {@code Error} thrown in a timer's delivery, or by a
 * behaviour on a scheduler thread, is reported and the thread goes on; health stays truthful
 * (UP, with the timer errors counted) through the real HTTP stack.
 */
class ThreadFailuresTest extends ObserveTestSupport {

    /** A pid whose send throws, as a forwarding pid with a bug would: the timer thread delivers to it. */
    record ThrowingPid(Error error) implements Pid<String> {
        @Override
        public void send(String message) {
            throw error;
        }

        @Override
        public long id() {
            return -1;
        }

        @Override
        public boolean isAlive() {
            return true;
        }
    }

    /** An exception that cannot even print itself: reporting it used to take the scheduler thread down. */
    static final class Unprintable extends RuntimeException {
        Unprintable() {
            super("unprintable");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("this exception refuses to be printed");
        }
    }

    /** Worse: it cannot even say its message, so no log line with it can be built. */
    static final class Unloggable extends RuntimeException {
        @Override
        public String getMessage() {
            throw new IllegalStateException("this exception refuses to say what it is");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("this exception refuses to be printed");
        }
    }

    JsonNode mailroomHealth() {
        Answer a = get("/actuator/health", Auth.ADMIN);
        JsonNode health = json.readTree(a.body());
        assertThat(a.status()).as("health: %s", a.body()).isEqualTo(200);
        assertThat(health.get("status").asString()).isEqualTo("UP");
        return health.get("components").get("mailroom").get("details");
    }

    /** A timer still fires: a call to a process that never answers times out, on the timer thread. */
    void aTimerStillFires() throws Exception {
        Pid<Object> silent = node.spawn(Behaviors.ignore());
        try {
            CompletableFuture<Object> call = node.call(silent, reply -> "never answered", Duration.ofMillis(20));
            try {
                call.get(20, TimeUnit.SECONDS);
                throw new AssertionError("the call was answered");
            } catch (ExecutionException timedOut) {
                assertThat(timedOut.getCause()).isInstanceOf(TimeoutException.class);
            }
        } finally {
            node.exit(silent, ExitReason.KILL);
        }
    }

    @Test
    void anErrorThrownInATimerDeliveryIsCountedAndTheTimerThreadCarriesOn() throws Exception {
        long before = mailroomHealth().get("timerErrors").asLong();

        node.sendAfter(new ThrowingPid(new StackOverflowError("thrown by a test")), "boom", Duration.ofMillis(1));
        node.sendAfter(new ThrowingPid(new AssertionError("thrown by a test")), "boom", Duration.ofMillis(1));
        eventually().until(() -> node.timerErrors() == before + 2);

        aTimerStillFires();
        JsonNode details = mailroomHealth();
        assertThat(details.get("timers").asString()).isEqualTo("alive");
        assertThat(details.get("timerErrors").asLong()).isEqualTo(before + 2);
    }

    @Test
    void anErrorThrownByABehaviourCrashesOnlyItsProcessAndEverySchedulerCarriesOn() throws Exception {
        int threads = node.schedulerStats().size();
        List<CompletableFuture<ExitReason>> ends = new ArrayList<>();
        // more than one per scheduler thread, so each thread meets at least one in all likelihood
        for (int i = 0; i < 4 * threads; i++) {
            Throwable thrown = switch (i % 4) {
                case 0 -> new StackOverflowError("thrown by a test");
                case 1 -> new OutOfMemoryError("thrown by a test");
                case 2 -> new Unprintable();
                default -> new Unloggable();
            };
            Pid<String> victim = node.spawn(Behaviors.<String>receive(m -> {
                if (thrown instanceof Error e) {
                    throw e;
                }
                throw (RuntimeException) thrown;
            }).onSignal((ctx, signal) -> {
                if (signal instanceof Signal.PostStop && thrown instanceof RuntimeException r) {
                    throw r; // and once more on the way out
                }
                return Behaviors.same();
            }));
            ends.add(node.whenExited(victim));
            victim.send("go");
        }
        for (CompletableFuture<ExitReason> end : ends) {
            assertThat(end.get(20, TimeUnit.SECONDS)).isInstanceOf(ExitReason.Crash.class);
        }

        assertThat(node.schedulersAlive()).isTrue();
        // every scheduler still runs work: many processes, all answered
        List<Pid<Object>> echoes = new ArrayList<>();
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (int i = 0; i < 16 * threads; i++) {
            Pid<Object> echo = node.spawn(Behaviors.<Object>receive(m -> {
                @SuppressWarnings("unchecked")
                Pid<Object> replyTo = (Pid<Object>) m;
                replyTo.send("pong");
                return Behaviors.same();
            }));
            echoes.add(echo);
            answers.add(node.call(echo, reply -> reply, Duration.ofSeconds(20)));
        }
        for (CompletableFuture<Object> a : answers) {
            assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo("pong");
        }
        echoes.forEach(p -> node.exit(p, ExitReason.KILL));
        assertThat(mailroomHealth().get("schedulers").asString()).isEqualTo("alive");
    }
}
