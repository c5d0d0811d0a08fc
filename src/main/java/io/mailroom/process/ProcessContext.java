package io.mailroom.process;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * What a process can do from inside its own handlers: its identity, spawning, links, monitors,
 * exit trapping, timers, and turning futures and requests into messages to itself. A context is valid only on the process's own turn, from its handlers
 * and setup: it is not thread-safe and must not be handed to other threads.
 *
 * @param <M> the process's message type
 */
public interface ProcessContext<M> {

    /** This process. */
    Pid<M> self();

    /** The node this process runs on. */
    Node node();

    /** The process that spawned this one, if it was spawned by a process. */
    Optional<Pid<?>> parent();

    /** Spawns a process; see {@link Node#spawn(Behavior, SpawnOptions)}. Its parent is this process. */
    <T> Pid<T> spawn(Behavior<T> behavior, SpawnOptions options);

    default <T> Pid<T> spawn(Behavior<T> behavior) {
        return spawn(behavior, SpawnOptions.DEFAULT);
    }

    /** Spawns a process already linked to this one (atomically: no window where either can die unlinked). */
    <T> Pid<T> spawnLink(Behavior<T> behavior, SpawnOptions options);

    default <T> Pid<T> spawnLink(Behavior<T> behavior) {
        return spawnLink(behavior, SpawnOptions.DEFAULT);
    }

    /** Spawns a process already monitored by this one. */
    <T> Spawned<T> spawnMonitor(Behavior<T> behavior, SpawnOptions options);

    /** A pid and the monitor set up with it. */
    record Spawned<T>(Pid<T> pid, MonitorRef ref) {}

    /**
     * Links this process with {@code other} (bidirectional, idempotent). If {@code other} is not
     * alive, this process receives an exit signal with reason {@code noproc}, as in Erlang.
     */
    void link(Pid<?> other);

    /** Removes the link, if any. No exit signal from {@code other} over that link arrives afterwards. */
    void unlink(Pid<?> other);

    /**
     * Monitors {@code target}: exactly one {@link Signal.Down} arrives when it ends, with its exit
     * reason, or with {@code noproc} if it is not alive now. It is in this process's mailbox before
     * any of the target's links hears of the end, so nothing a linked process does on the exit (a
     * supervisor's restart) can reach this process ahead of it.
     */
    MonitorRef monitor(Pid<?> target);

    /** Removes the monitor; no {@link Signal.Down} for it arrives afterwards, even one already sent. */
    void demonitor(MonitorRef ref);

    /**
     * Whether exit signals arrive as {@link Signal.Exit} messages instead of killing this process
     * ({@code process_flag(trap_exit, true)}). A {@code kill} still kills.
     */
    void trapExits(boolean trap);

    /**
     * Sends an exit signal from this process to {@code target}, as Erlang's {@code exit(Pid, Reason)};
     * the rules are those of {@link Node#exit}, and a trapping target sees this process as the sender.
     */
    void exit(Pid<?> target, ExitReason reason);

    /** Sends {@code message} to this process after {@code delay}, unless cancelled first. */
    TimerRef sendAfter(M message, Duration delay);

    /** Sends {@code message} to {@code target} after {@code delay}, unless cancelled first. */
    <T> TimerRef sendAfter(Pid<T> target, T message, Duration delay);

    /**
     * Sends this process the outcome of {@code stage} as a message, as Pekko's {@code pipeToSelf}:
     * when the stage completes, its value (or what it failed with, a {@code CompletionException}
     * unwrapped) waits in this process's mailbox behind what arrived before, and is passed to
     * {@code mapper} when the process takes it out, on its own turn, never on the thread that
     * completed the stage; the handler then gets the mapper's message. Exactly one of the mapper's
     * arguments is meaningful: the failure is null on success. A mapper that throws, or returns
     * null, crashes the process as a handler would. If the process has ended by then, the outcome
     * is dropped; a stage that never completes keeps the process's object reachable, so give it a
     * timeout (as {@link #ask} does).
     */
    <T> void pipeToSelf(CompletionStage<T> stage, BiFunction<? super T, ? super Throwable, ? extends M> mapper);

    /**
     * Request and reply from inside a process, as Pekko's {@code ActorContext.ask}: builds the
     * request with a fresh reply pid, sends it to {@code target}, and delivers the mapped outcome to
     * this process (see {@link #pipeToSelf}): the reply; or a {@link java.util.concurrent.TimeoutException}
     * after {@code timeout}; or a {@link ProcessExitException} if the target is dead or dies first.
     * The process does not wait: it goes on handling messages meanwhile. If this process ends first,
     * the reply is dropped when it comes, and the call's monitor and timer end with it or the timeout.
     */
    default <Req, Resp> void ask(Pid<Req> target, Function<Pid<Resp>, ? extends Req> requestFactory, Duration timeout,
                                 BiFunction<? super Resp, ? super Throwable, ? extends M> mapper) {
        pipeToSelf(node().call(target, requestFactory, timeout), mapper);
    }

    /** Registers this process under {@code name}; see {@link Node#register}. */
    void register(String name);

    /** A logger for this process. */
    Logger log();
}
