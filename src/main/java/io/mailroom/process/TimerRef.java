package io.mailroom.process;

/** A pending timer from {@link ProcessContext#sendAfter} or {@link Node#sendAfter}. */
public interface TimerRef {

    /**
     * Cancels the timer. Returns true if it had not fired yet (its message will not be sent),
     * false if it already fired or was already cancelled.
     */
    boolean cancel();
}
