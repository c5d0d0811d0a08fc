package io.mailroom.process;

import java.util.Objects;

/**
 * Why a process ended, or the reason an exit signal carries: Erlang's exit reasons as values.
 *
 * <p>{@link #NORMAL} does not propagate over links to processes that do not trap exits.
 * {@link #KILL} is only ever a signal: sent with {@link Node#exit(Pid, ExitReason)} it cannot be
 * trapped, and the target dies with {@link #KILLED}. Every other reason kills linked processes
 * that do not trap exits, and arrives as an {@link Signal.Exit} message at those that do.
 */
public sealed interface ExitReason {

    /** The process finished its work. */
    ExitReason NORMAL = new Normal();
    /** Asked to stop by its supervisor or the node. */
    ExitReason SHUTDOWN = new Shutdown(null);
    /** The untrappable kill signal (as {@code exit(Pid, kill)}). */
    ExitReason KILL = new Kill();
    /** What a process killed by {@link #KILL} dies with, and what its links receive. */
    ExitReason KILLED = new Killed();
    /** The process did not exist (a monitor or link to a dead pid, a call to a dead process). */
    ExitReason NOPROC = new NoProc();

    /** The label used in metrics: normal, shutdown, crash, killed, noproc or other. */
    String label();

    /** Whether this reason, arriving over a link, kills a process that does not trap exits. */
    default boolean isAbnormal() {
        return !(this instanceof Normal);
    }

    /** A handler threw: the process dies with the exception. */
    static ExitReason crash(Throwable error) {
        return new Crash(error);
    }

    /** An orderly stop with a detail (as OTP's {@code {shutdown, Term}}). */
    static ExitReason shutdown(Object detail) {
        return new Shutdown(detail);
    }

    /** Any other reason, given as a term (as {@code exit(Reason)} with a custom atom). */
    static ExitReason of(Object term) {
        return new Other(Objects.requireNonNull(term, "term"));
    }

    record Normal() implements ExitReason {
        @Override public String label() { return "normal"; }
        @Override public String toString() { return "normal"; }
    }

    record Shutdown(Object detail) implements ExitReason {
        @Override public String label() { return "shutdown"; }
        @Override public String toString() { return detail == null ? "shutdown" : "{shutdown," + detail + "}"; }
    }

    record Kill() implements ExitReason {
        @Override public String label() { return "killed"; }
        @Override public String toString() { return "kill"; }
    }

    record Killed() implements ExitReason {
        @Override public String label() { return "killed"; }
        @Override public String toString() { return "killed"; }
    }

    record NoProc() implements ExitReason {
        @Override public String label() { return "noproc"; }
        @Override public String toString() { return "noproc"; }
    }

    record Crash(Throwable error) implements ExitReason {
        public Crash {
            Objects.requireNonNull(error, "error");
        }
        @Override public String label() { return "crash"; }
        @Override public String toString() { return "{crash," + error + "}"; }
    }

    record Other(Object term) implements ExitReason {
        @Override public String label() { return "other"; }
        @Override public String toString() { return String.valueOf(term); }
    }
}
