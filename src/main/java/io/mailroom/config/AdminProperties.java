package io.mailroom.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The management (actuator) login, {@code mailroom.admin.*}.
 *
 * @param password  the password of the actuator user {@code admin}; when unset or blank, a random
 *                  one is generated and logged once at start-up
 */
@ConfigurationProperties("mailroom.admin")
@Validated
public record AdminProperties(String password) {}
