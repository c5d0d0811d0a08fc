package io.mailroom.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import io.mailroom.process.Pid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;

/**
 * The runtime under test in one fork: a Mailroom node with its default configuration, a Pekko
 * typed actor system with its default dispatcher, or nothing (virtual threads need no runtime).
 * Also the helpers every workload uses to wait for completion and to clean up.
 */
public final class Runtimes implements AutoCloseable {
    public static final String MAILROOM = "mailroom";
    public static final String PEKKO = "pekko";
    public static final String VTHREADS = "vthreads";

    /** Longest a workload may take before the benchmark fails instead of hanging. */
    static final long TIMEOUT_SECONDS = 300;

    final String impl;
    final Node node;
    final ActorSystem<GuardianCmd> pekko;

    private Runtimes(String impl, Node node, ActorSystem<GuardianCmd> pekko) {
        this.impl = impl;
        this.node = node;
        this.pekko = pekko;
    }

    public static Runtimes start(String impl) {
        return switch (impl) {
            case MAILROOM -> new Runtimes(impl, Node.start(mailroomConfig()), null);
            case PEKKO -> {
                LoggerFactory.getILoggerFactory(); // before Pekko's threads log concurrently: no SLF4J replay warning
                yield new Runtimes(impl, null, ActorSystem.create(host(), "bench", pekkoConfig()));
            }
            case VTHREADS -> new Runtimes(impl, null, null);
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        };
    }

    /**
     * Mailroom's defaults (one scheduler per core); {@code -Dbench.mailroom.schedulers=N} overrides
     * the scheduler count, for experiments only.
     */
    private static NodeConfig mailroomConfig() {
        NodeConfig config = NodeConfig.defaults();
        String schedulers = System.getProperty("bench.mailroom.schedulers");
        return schedulers == null ? config : config.withSchedulers(Integer.parseInt(schedulers));
    }

    /**
     * Pekko's defaults, quiet: only logging settings change (dead letters from the cleanup of
     * stopped actors are expected). Dispatcher settings can be overridden with -Dpekko.… flags.
     */
    private static Config pekkoConfig() {
        return ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.stdout-loglevel = WARNING
                pekko.log-dead-letters = off
                pekko.log-dead-letters-during-shutdown = off
                pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                """).withFallback(ConfigFactory.load());
    }

    // ---------------------------------------------------------------- Pekko: the guardian

    /** What the guardian and host actors do: run a function in their own context (to spawn and stop children). */
    public record GuardianCmd(Function<ActorContext<GuardianCmd>, Object> fn, CompletableFuture<Object> result) {}

    /** The guardian's behaviour, also used for the host actors that parent W1's actors. */
    static Behavior<GuardianCmd> host() {
        return Behaviors.receive((ctx, cmd) -> {
            try {
                cmd.result().complete(cmd.fn().apply(ctx));
            } catch (Throwable t) {
                cmd.result().completeExceptionally(t);
            }
            return Behaviors.same();
        });
    }

    /** Runs {@code fn} inside the Pekko guardian actor and waits for its result. */
    <T> T inGuardian(Function<ActorContext<GuardianCmd>, T> fn) {
        return join(inActor(pekko, fn));
    }

    /** Runs {@code fn} inside a host actor (see {@link #host()}); the future completes with its result. */
    @SuppressWarnings("unchecked")
    static <T> CompletableFuture<T> inActor(ActorRef<GuardianCmd> host, Function<ActorContext<GuardianCmd>, T> fn) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        host.tell(new GuardianCmd((Function<ActorContext<GuardianCmd>, Object>) fn, result));
        return (CompletableFuture<T>) result;
    }

    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("actor did not answer", e);
        }
    }

    // ---------------------------------------------------------------- waiting and cleaning up

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(what + " did not finish in " + TIMEOUT_SECONDS + " s: "
                    + latch.getCount() + " still counted");
        }
    }

    /** Mailroom: kills every process on the node and waits until the process table is empty. */
    void killAllProcesses() throws InterruptedException {
        List<Pid<?>> pids = new ArrayList<>(node.processCount());
        node.forEachProcess(view -> pids.add(view.pid()));
        for (Pid<?> pid : pids) {
            node.exit(pid, ExitReason.KILL);
        }
        awaitNoProcesses();
    }

    /** Mailroom: waits until every process has left the process table. */
    void awaitNoProcesses() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (node.processCount() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(node.processCount() + " processes still alive");
            }
            Thread.sleep(1);
        }
    }

    /** Pekko: stops every child of the guardian and waits until the guardian has none left. */
    void stopAllActors() throws InterruptedException {
        inGuardian(ctx -> {
            for (ActorRef<Void> child : ctx.getChildren()) {
                ctx.stop(child);
            }
            return null;
        });
        awaitNoActors();
    }

    /** Pekko: waits until the guardian has seen every child terminate. */
    void awaitNoActors() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (inGuardian(ctx -> ctx.getChildren().size()) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("actors still alive");
            }
            Thread.sleep(1);
        }
    }

    /** Virtual threads: interrupts each (they end on InterruptedException) and joins it. */
    static void interruptAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            if (!t.join(Duration.ofSeconds(TIMEOUT_SECONDS))) {
                throw new IllegalStateException(t + " did not end");
            }
        }
    }

    /** Cleans up whatever processes of this runtime are left (virtual threads: the caller's list). */
    void cleanup(List<Thread> virtualThreads) throws InterruptedException {
        switch (impl) {
            case MAILROOM -> killAllProcesses();
            case PEKKO -> stopAllActors();
            default -> interruptAll(virtualThreads);
        }
    }

    @Override
    public void close() {
        if (node != null) {
            node.shutdown(Duration.ofSeconds(30));
        }
        if (pekko != null) {
            pekko.terminate();
            try {
                pekko.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("actor system did not terminate", e);
            }
        }
    }
}
