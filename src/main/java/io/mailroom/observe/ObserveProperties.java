package io.mailroom.observe;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The observer's settings, under {@code mailroom.observe.*} (docs/observability.md has the table).
 *
 * @param stateTimeout          how long {@code GET /actuator/processes/{pid}} waits for the process to
 *                              describe its state before answering {@code "stateError":"timeout"}
 * @param traceMaxSeconds       the longest a trace runs (and its default length); a {@code seconds}
 *                              parameter may only shorten it
 * @param traceEventsPerSecond  trace events sent per second at most; the rest are counted as dropped
 * @param traceTextLimit        characters of each string in a traced message (a chat text, say) beyond
 *                              which it is cut, marked with an ellipsis
 * @param traceBuffer           events waiting for a slow trace client at most; beyond, new ones are
 *                              dropped and counted, so the traced process never waits nor piles up memory
 */
@ConfigurationProperties("mailroom.observe")
public record ObserveProperties(
        @DefaultValue("1s") Duration stateTimeout,
        @DefaultValue("60") int traceMaxSeconds,
        @DefaultValue("200") int traceEventsPerSecond,
        @DefaultValue("200") int traceTextLimit,
        @DefaultValue("1000") int traceBuffer) {

    public ObserveProperties {
        if (stateTimeout.isNegative() || stateTimeout.isZero()) {
            throw new IllegalArgumentException("mailroom.observe.state-timeout must be positive, was " + stateTimeout);
        }
        requirePositive("trace-max-seconds", traceMaxSeconds);
        requirePositive("trace-events-per-second", traceEventsPerSecond);
        requirePositive("trace-text-limit", traceTextLimit);
        requirePositive("trace-buffer", traceBuffer);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("mailroom.observe." + name + " must be at least 1, was " + value);
        }
    }
}
