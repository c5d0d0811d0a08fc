package io.mailroom.process;

/**
 * A live, read-only view of one process for introspection, handed out by
 * {@link Node#forEachProcess}. Each read is a racy snapshot of a running process: cheap, lock-free,
 * and possibly stale by the time it is used. Valid only during the callback.
 */
public interface ProcessView {

    /** The process's pid. */
    Pid<?> pid();

    /** Its registered name, or null. */
    String registeredName();

    /** Its type label ({@link SpawnOptions#type()}). */
    String type();

    /** {@code waiting}, {@code runnable}, {@code running}, {@code exiting} or {@code dead}. */
    String status();

    /** Messages waiting: queued plus deferred by selective receive. */
    int mailboxDepth();

    /** Messages handled so far. */
    long reductions();

    /** The pid of the process that spawned it, or null. */
    Pid<?> parentPid();
}
