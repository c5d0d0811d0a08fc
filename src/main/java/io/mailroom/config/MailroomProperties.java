package io.mailroom.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every setting of the service, under {@code mailroom.*}, with the defaults the contract names.
 *
 * @param scheduler the process runtime
 * @param root      the root supervisor's restart intensity
 */
@ConfigurationProperties("mailroom")
public record MailroomProperties(
        @DefaultValue Scheduler scheduler,
        @DefaultValue Intensity root) {

    /**
     * @param threads        scheduler threads; 0 means one per available processor
     * @param messageBudget  messages a process handles per turn before yielding
     * @param shutdownTimeout how long stopping the node waits for processes to end
     */
    public record Scheduler(
            @DefaultValue("0") int threads,
            @DefaultValue("100") int messageBudget,
            @DefaultValue("10s") Duration shutdownTimeout) {}

    /** OTP restart intensity: at most {@code maxRestarts} within {@code withinSeconds}. */
    public record Intensity(
            @DefaultValue("3") int maxRestarts,
            @DefaultValue("5") int withinSeconds) {}
}
