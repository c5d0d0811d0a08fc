package io.mailroom.supervision;

import java.time.Duration;
import java.util.Objects;

/**
 * Restart intensity: a supervisor restarts at most {@code maxRestarts} children within
 * {@code within}; one restart more and it gives up, stops its children and exits with
 * {@code shutdown}, so its own supervisor decides. Default 3 in 5 seconds (Elixir's default).
 * {@link #unlimited()} never gives up (Pekko's {@code restart()} without a limit).
 */
public record Intensity(int maxRestarts, Duration within) {

    public static final Intensity DEFAULT = new Intensity(3, Duration.ofSeconds(5));

    private static final Intensity UNLIMITED = new Intensity(Integer.MAX_VALUE, Duration.ofSeconds(5));

    public Intensity {
        Objects.requireNonNull(within, "within");
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("maxRestarts must be >= 0, was " + maxRestarts);
        }
        if (within.isNegative() || within.isZero()) {
            throw new IllegalArgumentException("within must be positive, was " + within);
        }
    }

    /**
     * Restarts without limit: the supervisor never gives up, and keeps no window of restart times
     * (its report's {@code restartsInWindow} stays 0). Any intensity of {@code Integer.MAX_VALUE}
     * restarts is unlimited.
     */
    public static Intensity unlimited() {
        return UNLIMITED;
    }

    /** Whether this intensity never makes the supervisor give up. */
    public boolean isUnlimited() {
        return maxRestarts == Integer.MAX_VALUE;
    }

    public static Intensity of(int maxRestarts, int withinSeconds) {
        return new Intensity(maxRestarts, Duration.ofSeconds(withinSeconds));
    }
}
