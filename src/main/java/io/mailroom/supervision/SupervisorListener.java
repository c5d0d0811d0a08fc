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

    /**
     * {@code supervisor} could not restart child {@code childId} (OTP's {@code start_error}): the
     * restart stopped at that child, which is tried again as another restart.
     */
    default void startFailed(String supervisor, String childId, ExitReason error) {}

    /**
     * Child {@code childId}, asked to stop, ended with {@code reason} instead of the reason asked
     * for (OTP's {@code shutdown_error}): for instance {@code killed} after its shutdown timeout.
     */
    default void shutdownError(String supervisor, String childId, ExitReason reason) {}
}
