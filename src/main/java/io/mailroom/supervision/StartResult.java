package io.mailroom.supervision;

import io.mailroom.process.Pid;

/** The answer to {@link Supervisor#startChild}. */
public sealed interface StartResult {

    /** The child was started. */
    record Started(Pid<?> pid) implements StartResult {}

    /** A live process already holds the child's registered name (OTP's {@code already_started}). */
    record AlreadyStarted(Pid<?> pid) implements StartResult {}

    /**
     * The child was not started: {@code max_children}, a duplicate id ({@code already_present}), or
     * its start failed; for {@link Supervisor#restartChild} also {@code running}, {@code restarting},
     * {@code not_found} and {@code dynamic}.
     */
    record Refused(String reason) implements StartResult {}
}
