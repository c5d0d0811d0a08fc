package io.mailroom.security;

import java.time.Duration;
import org.springframework.security.core.AuthenticationException;

/** A login refused unchecked: its address failed too often lately. Answered 429 with {@code Retry-After}. */
public final class TooManyFailedLogins extends AuthenticationException {
    private final Duration retryAfter;

    TooManyFailedLogins(String detail, Duration retryAfter) {
        super(detail);
        this.retryAfter = retryAfter;
    }

    /** When the address has a token again. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
