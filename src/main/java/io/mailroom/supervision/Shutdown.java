package io.mailroom.supervision;

import java.time.Duration;
import java.util.Objects;

/** How a supervisor stops a child (OTP's {@code shutdown}). */
public sealed interface Shutdown {

    /** Killed at once with the untrappable {@code kill}. */
    Shutdown BRUTAL_KILL = new BrutalKill();
    /** Sent {@code shutdown}, and waited for without limit: for supervisor children. */
    Shutdown INFINITY = new Infinity();

    /** Sent {@code shutdown}; killed if it has not ended after {@code timeout}. */
    static Shutdown timeout(Duration timeout) {
        return new Timeout(timeout);
    }

    record BrutalKill() implements Shutdown {
        @Override public String toString() { return "brutal_kill"; }
    }

    record Infinity() implements Shutdown {
        @Override public String toString() { return "infinity"; }
    }

    record Timeout(Duration timeout) implements Shutdown {
        public Timeout {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdown timeout must not be negative: " + timeout);
            }
        }
        @Override public String toString() { return String.valueOf(timeout.toMillis()); }
    }
}
