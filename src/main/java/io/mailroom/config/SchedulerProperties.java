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
 * The process runtime, {@code mailroom.scheduler.*}.
 *
 * @param threads         scheduler threads; 0 means one per available processor
 * @param messageBudget   messages a process handles per turn before yielding
 * @param shutdownTimeout how long stopping the tree and then the node may take, each
 */
@ConfigurationProperties("mailroom.scheduler")
@Validated
public record SchedulerProperties(
        @PositiveOrZero @DefaultValue("0") int threads,
        @Positive @DefaultValue("100") int messageBudget,
        @NotNull @DurationMin(millis = 1) @DefaultValue("10s") Duration shutdownTimeout) {}
