package io.mailroom.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * A request that Spring Security's firewall refuses (a {@code .} or {@code ..} path segment, an
 * encoded {@code ;}, {@code %}, {@code \} and the like) gets a 400 RFC 9457 problem, as every 4xx
 * under {@code /api/} must (protocol.md §2, §3). Without this, the firewall's {@code sendError(400)}
 * went to Spring Boot's error page and answered {@code application/json} in Boot's own shape: the
 * REST fuzzer found it with {@code GET /api/counters/.}. Spring Security picks up a
 * {@link RequestRejectedHandler} bean by itself.
 */
@Component
public class RejectedRequestProblems implements RequestRejectedHandler {
    private final ObjectMapper json;

    public RejectedRequestProblems(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException rejected)
            throws IOException {
        HttpStatus status = HttpStatus.BAD_REQUEST;
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "about:blank");
        problem.put("title", status.getReasonPhrase());
        problem.put("status", status.value());
        problem.put("detail", rejected.getMessage());
        problem.put("instance", request.getRequestURI());
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(json.writeValueAsString(problem));
    }
}
