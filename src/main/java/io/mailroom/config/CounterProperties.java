package io.mailroom.config;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The counters supervisor and the counters API, {@code mailroom.counters.*}.
 *
 * @param maxRestarts    restarts the counters supervisor allows…
 * @param withinSeconds  …within this many seconds, before it escalates to the root
 * @param callTimeout    how long a REST request waits for a counter's answer before 503
 * @param crashRate      {@code crash} requests a second each client address may make (v1.1);
 *                       0 turns the limit off
 * @param crashBurst     {@code crash} requests an address may make at once after a quiet spell
 */
@ConfigurationProperties("mailroom.counters")
@Validated
public record CounterProperties(
        @PositiveOrZero @DefaultValue("100") int maxRestarts,
        @Positive @DefaultValue("10") int withinSeconds,
        @NotNull @DurationMin(millis = 1) @DefaultValue("5s") Duration callTimeout,
        @PositiveOrZero @DefaultValue("20") double crashRate,
        @Positive @DefaultValue("20") int crashBurst) {

    public io.mailroom.supervision.Intensity toIntensity() {
        return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
    }
}
