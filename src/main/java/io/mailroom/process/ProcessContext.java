package io.mailroom.process;

import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * What a process can do from inside its own handlers: its identity, spawning, links, monitors,
 * exit trapping and timers. A context is valid only on the process's own turn, from its handlers
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
     * reason, or with {@code noproc} if it is not alive now.
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

    /** Registers this process under {@code name}; see {@link Node#register}. */
    void register(String name);

    /** A logger for this process. */
    Logger log();
}
