package io.mailroom.web;

import java.time.Duration;
import org.springframework.http.HttpStatus;

/** An error answer of the REST API: rendered as RFC 9457 problem+json by {@link ApiExceptionHandler}. */
public class ApiException extends RuntimeException {
    private final HttpStatus status;
    private final Duration retryAfter;

    public ApiException(HttpStatus status, String detail) {
        this(status, detail, null);
    }

    private ApiException(HttpStatus status, String detail, Duration retryAfter) {
        super(detail, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public HttpStatus status() {
        return status;
    }

    /** When the client may try again (sent as {@code Retry-After}), or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** 429: over a rate limit; the client may try again after {@code retryAfter}. */
    public static ApiException tooManyRequests(String detail, Duration retryAfter) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, detail, retryAfter);
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(HttpStatus.NOT_FOUND, detail);
    }

    public static ApiException conflict(String detail) {
        return new ApiException(HttpStatus.CONFLICT, detail);
    }

    public static ApiException unavailable(String detail) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, detail);
    }
}
