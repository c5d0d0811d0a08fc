package io.mailroom.config;

import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The management (actuator) login, {@code mailroom.admin.*}.
 *
 * @param password        the password of the actuator user {@code admin}; when unset or blank, a random
 *                        one is generated and logged once at start-up
 * @param failedAuthRate  failed logins a second each client address may make; beyond the bucket,
 *                        429 without checking the password; 0 turns the limit off
 * @param failedAuthBurst failed logins an address may make at once after a quiet spell
 */
@ConfigurationProperties("mailroom.admin")
@Validated
public record AdminProperties(
        String password,
        @PositiveOrZero @DefaultValue("10") double failedAuthRate,
        @Positive @DefaultValue("20") int failedAuthBurst) {}
