package io.mailroom.config;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Limits on every HTTP request, {@code mailroom.http.*}.
 *
 * @param maxBody the largest request body; a larger one is answered 413 problem+json unread
 */
@ConfigurationProperties("mailroom.http")
@Validated
public record HttpProperties(@NotNull @DefaultValue("64KB") DataSize maxBody) {}
