package io.mailroom.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one way tests wait for something to become true: Awaitility, polling every 2 ms from the
 * start (its default of 100 ms is far too slow for messages that arrive in microseconds), bounded
 * by {@link #WAIT}. A factory each time rather than {@code Awaitility.setDefault…}, so no test
 * changes how another one waits.
 */
public final class Waits {
    /** How long a test waits before it fails: a bound for a loaded 2-core CI machine, not a target. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    private Waits() {}

    public static ConditionFactory eventually() {
        return Awaitility.await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
    }
}
