package io.mailroom.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The service tree's restart intensities, {@code mailroom.root.*}, {@code mailroom.rooms.*} and
 * {@code mailroom.sessions.*} (the counters supervisor's are in {@link CounterProperties}).
 *
 * @param root     the root supervisor's restart intensity, and what the node does when it gives up
 * @param rooms    the rooms supervisor's restart intensity
 * @param sessions the sessions supervisor's restart intensity
 */
@ConfigurationProperties("mailroom")
@Validated
public record SupervisionProperties(
        @Valid @DefaultValue Root root,
        @Valid @DefaultValue Intensity rooms,
        @Valid @DefaultValue Intensity sessions) {

    /** OTP restart intensity: at most {@code maxRestarts} within {@code withinSeconds}. */
    public record Intensity(
            @PositiveOrZero @DefaultValue("3") int maxRestarts,
            @Positive @DefaultValue("5") int withinSeconds) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /**
     * The root supervisor: its intensity, and what happens when it gives up (or is killed).
     *
     * @param maxRestarts   restarts the root allows…
     * @param withinSeconds …within this many seconds, before it gives up
     * @param onGiveUp      {@code exit} (stop the service in order, then the JVM with status 70) or
     *                      {@code stay} (keep the JVM up with health DOWN)
     */
    public record Root(
            @PositiveOrZero @DefaultValue("3") int maxRestarts,
            @Positive @DefaultValue("5") int withinSeconds,
            @NotNull @DefaultValue("exit") OnGiveUp onGiveUp) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /** What the node does when its root supervisor ends without being asked to (protocol.md §3, v1.1). */
    public enum OnGiveUp {
        /** An orderly Spring shutdown, then exit status 70, so that systemd, Docker or Kubernetes start it again. */
        EXIT,
        /** Stay up with health DOWN and every counter request answering 503, for someone to look at. */
        STAY
    }
}
