package io.mailroom.process;

import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.fail;

import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting and node set-up shared by the runtime's tests. Every wait is bounded; none sleeps. */
final class ProcessTesting {

    /** How long a test waits for something that should happen promptly, generous for a loaded machine. */
    static final Duration WAIT = Waits.WAIT;

    private ProcessTesting() {}

    /** The value of {@code future}, waiting at most {@link #WAIT}; a failure is rethrown as is if unchecked. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            return fail("nothing completed the future in " + WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** What {@code future} failed with, waiting at most {@link #WAIT}; fails the test if it succeeded. */
    static Throwable failureOf(CompletableFuture<?> future) {
        try {
            Object value = future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return fail("expected a failure, the future completed with " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            return fail("nothing completed the future in " + WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** Waits until {@code pid}'s process has ended completely: links and monitors told, out of the table. */
    static void awaitEnded(Node node, Pid<?> pid) {
        eventually().until(() -> node.table.get(pid.id()) == null);
    }

    /** The default configuration with {@code n} scheduler threads. */
    static NodeConfig schedulers(int n) {
        return NodeConfig.defaults().withSchedulers(n);
    }

    /** {@code config} with its threads named {@code prefix-0}, {@code prefix-1}…, {@code prefix-timers}. */
    static NodeConfig threadsNamed(NodeConfig config, String prefix) {
        return config.withThreadPrefix(prefix);
    }
}
