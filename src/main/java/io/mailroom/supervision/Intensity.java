package io.mailroom.supervision;

import java.time.Duration;
import java.util.Objects;

/**
 * Restart intensity: a supervisor restarts at most {@code maxRestarts} children within
 * {@code within}; one restart more and it gives up, stops its children and exits with
 * {@code shutdown}, so its own supervisor decides. Default 3 in 5 seconds (Elixir's default).
 */
public record Intensity(int maxRestarts, Duration within) {

    public static final Intensity DEFAULT = new Intensity(3, Duration.ofSeconds(5));

    public Intensity {
        Objects.requireNonNull(within, "within");
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("maxRestarts must be >= 0, was " + maxRestarts);
        }
        if (within.isNegative() || within.isZero()) {
            throw new IllegalArgumentException("within must be positive, was " + within);
        }
    }

    public static Intensity of(int maxRestarts, int withinSeconds) {
        return new Intensity(maxRestarts, Duration.ofSeconds(withinSeconds));
    }
}
