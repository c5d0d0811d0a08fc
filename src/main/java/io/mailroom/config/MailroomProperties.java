package io.mailroom.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every setting of the service, under {@code mailroom.*}, with the defaults the contract names.
 *
 * @param scheduler the process runtime
 * @param root      the root supervisor's restart intensity
 * @param rooms     the rooms supervisor's restart intensity
 * @param sessions  the sessions supervisor's restart intensity
 * @param counters  the counters supervisor and the counters API
 * @param admin     the management (actuator) login
 */
@ConfigurationProperties("mailroom")
public record MailroomProperties(
        @DefaultValue Scheduler scheduler,
        @DefaultValue Intensity root,
        @DefaultValue Intensity rooms,
        @DefaultValue Intensity sessions,
        @DefaultValue Counters counters,
        @DefaultValue Admin admin) {

    /**
     * @param threads         scheduler threads; 0 means one per available processor
     * @param messageBudget   messages a process handles per turn before yielding
     * @param shutdownTimeout how long stopping the tree and then the node may take, each
     */
    public record Scheduler(
            @DefaultValue("0") int threads,
            @DefaultValue("100") int messageBudget,
            @DefaultValue("10s") Duration shutdownTimeout) {}

    /** OTP restart intensity: at most {@code maxRestarts} within {@code withinSeconds}. */
    public record Intensity(
            @DefaultValue("3") int maxRestarts,
            @DefaultValue("5") int withinSeconds) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /**
     * @param maxRestarts    restarts the counters supervisor allows…
     * @param withinSeconds  …within this many seconds, before it escalates to the root
     * @param callTimeout    how long a REST request waits for a counter's answer before 503
     */
    public record Counters(
            @DefaultValue("100") int maxRestarts,
            @DefaultValue("10") int withinSeconds,
            @DefaultValue("5s") Duration callTimeout) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /**
     * @param password  the password of the actuator user {@code admin}; when unset or blank, a random
     *                  one is generated and logged once at start-up
     */
    public record Admin(String password) {}
}
