package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * A process for tests, driven from the test thread. It records every message and signal it
 * receives, in the order it handles them; runs actions inside itself on request (link, monitor,
 * trap exits, spawn…), answering only once the action is done; and stops or crashes on command.
 *
 * <p>A request answered is also a barrier: signals are handled ahead of messages, so a probe that
 * answers has handled every signal pushed to it before the request was sent, and is alive.
 */
final class Probe {

    /** What the test thread asks of a probe; anything else sent to it is recorded. */
    sealed interface Command {}

    record Inside(Function<ProcessContext<Object>, ?> action, Pid<Result> replyTo) implements Command {}

    record StopWith(ExitReason reason) implements Command {}

    record Crash(RuntimeException error) implements Command {}

    /** The answer to {@link Inside}: the action's result, which may be null. */
    record Result(Object value) {}

    private final Node node;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<ExitReason> ended = new CompletableFuture<>();
    private Pid<Object> pid;

    private Probe(Node node) {
        this.node = node;
    }

    static Probe spawn(Node node) {
        return spawn(node, SpawnOptions.DEFAULT);
    }

    static Probe spawn(Node node, SpawnOptions options) {
        Probe probe = new Probe(node);
        probe.pid = node.spawn(probe.behavior(), options);
        return probe;
    }

    /** A probe spawned by this one and linked to it ({@code spawn_link}). */
    Probe spawnLinked(SpawnOptions options) {
        Probe child = new Probe(node);
        child.pid = inside(ctx -> ctx.spawnLink(child.behavior(), options));
        return child;
    }

    /** A child probe and the monitor its parent holds on it. */
    record Monitored(Probe child, MonitorRef ref) {}

    /** A probe spawned by this one and monitored by it ({@code spawn_monitor}). */
    Monitored spawnMonitored() {
        Probe child = new Probe(node);
        ProcessContext.Spawned<Object> spawned = inside(ctx -> ctx.spawnMonitor(child.behavior(), SpawnOptions.DEFAULT));
        child.pid = spawned.pid();
        return new Monitored(child, spawned.ref());
    }

    private Behavior<Object> behavior() {
        return Behaviors.<Object>receive((ctx, message) -> {
            switch (message) {
                case Inside inside -> {
                    inside.replyTo().send(new Result(inside.action().apply(ctx)));
                    return Behaviors.same();
                }
                case StopWith stop -> {
                    return Behaviors.stopped(stop.reason());
                }
                case Crash crash -> throw crash.error();
                default -> {
                    inbox.add(message);
                    return Behaviors.same();
                }
            }
        }).onSignal((ctx, signal) -> {
            if (signal instanceof Signal.PostStop stop) {
                ended.complete(stop.reason());
            } else {
                inbox.add(signal);
            }
            return Behaviors.same();
        });
    }

    Pid<Object> pid() {
        return pid;
    }

    /** Runs {@code action} inside the process, on its turn, and returns what it returned. */
    @SuppressWarnings("unchecked")
    <R> R inside(Function<ProcessContext<Object>, R> action) {
        CompletableFuture<Result> reply = node.call(pid, r -> new Inside(action, r), WAIT);
        return (R) await(reply).value();
    }

    /** Whether the process answers a request: it is alive and has handled every signal sent before. */
    boolean answers() {
        try {
            return Objects.equals(inside(ctx -> Boolean.TRUE), Boolean.TRUE);
        } catch (ProcessExitException e) {
            return false;
        }
    }

    void link(Probe other) {
        inside(ctx -> {
            ctx.link(other.pid);
            return null;
        });
    }

    void link(Pid<?> other) {
        inside(ctx -> {
            ctx.link(other);
            return null;
        });
    }

    void unlink(Probe other) {
        inside(ctx -> {
            ctx.unlink(other.pid);
            return null;
        });
    }

    MonitorRef monitor(Probe target) {
        return monitor(target.pid);
    }

    MonitorRef monitor(Pid<?> target) {
        return inside(ctx -> ctx.monitor(target));
    }

    void demonitor(MonitorRef ref) {
        inside(ctx -> {
            ctx.demonitor(ref);
            return null;
        });
    }

    void trapExits(boolean trap) {
        inside(ctx -> {
            ctx.trapExits(trap);
            return null;
        });
    }

    /** Makes the process return {@code Behaviors.stopped(reason)}. */
    void stop(ExitReason reason) {
        pid.send(new StopWith(reason));
    }

    /** Makes the process's handler throw {@code error}. */
    void crash(RuntimeException error) {
        pid.send(new Crash(error));
    }

    /** The reason the process ended with, as its own {@link Signal.PostStop} saw it; waits for it. */
    ExitReason exitReason() {
        return await(ended);
    }

    /** The next message or signal the process recorded; waits for it. */
    Object next() {
        return eventually().until(inbox::poll, Objects::nonNull);
    }

    /** The next thing recorded, which must be a {@code type}. */
    <T> T next(Class<T> type) {
        Object next = next();
        assertThat(next).isInstanceOf(type);
        return type.cast(next);
    }

    Signal.Exit nextExit() {
        return next(Signal.Exit.class);
    }

    Signal.Down nextDown() {
        return next(Signal.Down.class);
    }

    /** Everything recorded and not yet taken, after the process has handled all that was sent before this call. */
    List<Object> received() {
        inside(ctx -> null);
        List<Object> all = new ArrayList<>();
        inbox.drainTo(all);
        return all;
    }

    /** Everything recorded and not yet taken, without asking the process (which may have ended). */
    List<Object> drain() {
        List<Object> all = new ArrayList<>();
        inbox.drainTo(all);
        return all;
    }

    @Override
    public String toString() {
        return "probe " + pid;
    }
}
