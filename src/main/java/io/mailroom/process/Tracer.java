package io.mailroom.process;

/**
 * Watches the messages one process handles ({@link Node#trace}), as Erlang's {@code sys:trace} or
 * {@code dbg}: told after each message the behaviour handled, on the process's own thread, inside
 * its turn. So it must be quick and must never block: whatever it keeps for a slower reader it
 * keeps in a bounded buffer, dropping (and counting) beyond it.
 *
 * <p>A process that is not traced pays one field check per message for this (see Cell#dispatch).
 */
public interface Tracer {

    /** What the behaviour answered to one message. */
    enum Outcome {
        /** {@code same()}: the behaviour, and so the state, stays. */
        SAME,
        /** A new behaviour: the state changed. */
        CHANGED,
        /** {@code stopped(...)}: the process ends. */
        STOPPED,
        /** The handler threw: the process ends as a crash. */
        CRASHED,
        /** {@code unhandled()}: selective receive left the message in the mailbox for later. */
        DEFERRED;

        /** The lower-case name the trace stream shows. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The process handled {@code message} (one of its own, or a {@link Signal}) with {@code outcome}. */
    void handled(Pid<?> process, Object message, Outcome outcome);

    /** The process ended with {@code reason}; nothing more comes. Called on its thread as it ends. */
    void ended(Pid<?> process, ExitReason reason);
}
