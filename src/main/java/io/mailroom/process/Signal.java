package io.mailroom.process;

/**
 * System messages a behaviour may receive besides its own message type, handled with
 * {@link Behavior#onSignal}. {@link Exit} and {@link Down} arrive through the mailbox, in order
 * with ordinary messages; {@link PostStop} is offered once, when the process is ending.
 */
public sealed interface Signal {

    /** An exit signal from a linked process (or {@link Node#exit}), delivered because this process traps exits. */
    record Exit(Pid<?> from, ExitReason reason) implements Signal {}

    /** The monitored process {@code pid} ended with {@code reason} (or {@code noproc} if it was not alive). */
    record Down(MonitorRef ref, Pid<?> pid, ExitReason reason) implements Signal {}

    /**
     * The process is ending with {@code reason}: the place to release what it holds (as OTP's
     * {@code terminate/2}). Its return value is ignored; a throw is logged, not propagated.
     */
    record PostStop(ExitReason reason) implements Signal {}
}
