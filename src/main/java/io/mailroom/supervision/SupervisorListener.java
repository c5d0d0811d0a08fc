package io.mailroom.supervision;

import io.mailroom.process.ExitReason;

/**
 * Told of a supervisor's decisions, on the supervisor's own turn: keep it quick and never throw
 * (a metrics counter, a log line).
 */
@FunctionalInterface
public interface SupervisorListener {

    SupervisorListener NONE = (supervisor, childId, reason) -> { };

    /** {@code supervisor} is restarting child {@code childId}, which ended with {@code reason}. */
    void restarting(String supervisor, String childId, ExitReason reason);

    /** {@code supervisor} exceeded its restart intensity and is shutting down. */
    default void intensityExceeded(String supervisor) {}
}
