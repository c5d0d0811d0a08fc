package io.mailroom.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * RFC 9457 problem+json written straight to a servlet response, for the answers given before
 * Spring MVC is reached (a security entry point, a servlet filter), in the shape
 * {@link ApiExceptionHandler} gives the REST API's: {@code title}, {@code status}, {@code detail},
 * {@code instance}.
 */
public final class Problems {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private Problems() {}

    /**
     * Writes the problem and commits the response.
     *
     * @param instance   the request's path, or null
     * @param retryAfter sent as {@code Retry-After} when not null
     */
    public static void write(HttpServletResponse response, HttpStatus status, String detail, String instance,
            Duration retryAfter) throws IOException {
        byte[] body = json(status.value(), status.getReasonPhrase(), detail, instance).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status.value());
        if (retryAfter != null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, retryAfterSeconds(retryAfter));
        }
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    /** The problem as JSON; no {@code type}, which then means {@code about:blank}, as Spring MVC writes it. */
    static String json(int status, String title, String detail, String instance) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        if (instance != null) {
            problem.put("instance", instance);
        }
        return JSON.writeValueAsString(problem);
    }

    /** {@code Retry-After} in whole seconds, rounded up: a client that waits that long finds a token. */
    public static String retryAfterSeconds(Duration retryAfter) {
        return Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
    }
}
