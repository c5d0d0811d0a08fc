package io.mailroom.process;

/** A call failed because the callee ended (or was not alive) before it replied. */
public final class ProcessExitException extends RuntimeException {
    private final transient Pid<?> pid;
    private final transient ExitReason reason;

    public ProcessExitException(Pid<?> pid, ExitReason reason) {
        super("process " + pid + " exited: " + reason, null, false, false);
        this.pid = pid;
        this.reason = reason;
    }

    public Pid<?> pid() {
        return pid;
    }

    public ExitReason reason() {
        return reason;
    }
}
