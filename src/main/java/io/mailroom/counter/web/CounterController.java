package io.mailroom.counter.web;

import io.mailroom.config.CounterProperties;
import io.mailroom.counter.CounterException;
import io.mailroom.counter.CounterService;
import io.mailroom.counter.CounterView;
import io.mailroom.web.AddressRate;
import io.mailroom.web.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The counters REST API of protocol.md §3: parses the request, calls {@link CounterService}, and
 * answers its {@link CounterException}s as RFC 9457 problems with the contract's statuses.
 */
@RestController
@RequestMapping(path = "/api/counters", produces = MediaType.APPLICATION_JSON_VALUE)
public class CounterController {
    /** Client addresses with a crash bucket of their own: about 100 bytes each, 1 MB in all. */
    static final int CRASH_RATE_ADDRESSES = 10_000;

    private final CounterService counters;
    private final ObjectMapper json;
    private final AddressRate crashRate;

    public CounterController(CounterService counters, ObjectMapper json, CounterProperties c) {
        this.counters = counters;
        this.json = json;
        this.crashRate = new AddressRate(c.crashRate(), c.crashBurst(), CRASH_RATE_ADDRESSES);
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<CounterView> create(@RequestBody(required = false) String body) {
        JsonNode root = parseObject(body);
        JsonNode name = root.get("name");
        if (name == null || !name.isString()) {
            throw ApiException.badRequest("\"name\" must be a string");
        }
        JsonNode initial = root.get("initial");
        long start = 0;
        if (initial != null && !initial.isNull()) {
            if (!initial.isIntegralNumber() || !initial.canConvertToLong()) {
                throw ApiException.badRequest("\"initial\" must be a 64-bit integer");
            }
            start = initial.longValue();
        }
        CounterView created = counters.create(name.asString(), start);
        return ResponseEntity.created(URI.create("/api/counters/" + created.name())).body(created);
    }

    @GetMapping
    public List<CounterView> list() {
        return counters.list();
    }

    @GetMapping("/{name}")
    public CounterView get(@PathVariable String name) {
        return counters.get(name);
    }

    @PostMapping("/{name}/increment")
    public CounterView increment(@PathVariable String name, @RequestParam(required = false) String by) {
        return counters.increment(name, amount(by));
    }

    @PostMapping("/{name}/decrement")
    public CounterView decrement(@PathVariable String name, @RequestParam(required = false) String by) {
        return counters.decrement(name, amount(by));
    }

    /**
     * Crashes the counter, at most {@code mailroom.counters.crash-rate} a second per client address.
     * The address is the peer's, or the one a trusted proxy forwarded when
     * {@code server.forward-headers-strategy} is set (Tomcat or Spring rewrite it then). The token is
     * taken before anything else, so no request beyond the rate costs more than the check.
     */
    @PostMapping("/{name}/crash")
    public ResponseEntity<Void> crash(@PathVariable String name, HttpServletRequest request) {
        AddressRate.Decision decision = crashRate.take(request.getRemoteAddr());
        if (!decision.allowed()) {
            throw ApiException.tooManyRequests("too many crash requests from this address: at most "
                    + crashRate + "; nothing was crashed", Duration.ofNanos(decision.retryAfterNanos()));
        }
        counters.crash(name);
        return ResponseEntity.status(HttpStatus.ACCEPTED).build();
    }

    @DeleteMapping("/{name}")
    public ResponseEntity<Void> delete(@PathVariable String name) {
        counters.delete(name);
        return ResponseEntity.noContent().build();
    }

    /** The service's refusals and failures, each with its status in the contract. */
    @ExceptionHandler(CounterException.class)
    public ResponseEntity<ProblemDetail> refused(CounterException e) {
        HttpStatus status = switch (e.kind()) {
            case INVALID_NAME -> HttpStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case ALREADY_EXISTS -> HttpStatus.CONFLICT;
            case OVERFLOW -> HttpStatus.UNPROCESSABLE_CONTENT;
            case UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
        };
        return ResponseEntity.status(status).body(ProblemDetail.forStatusAndDetail(status, e.getMessage()));
    }

    private JsonNode parseObject(String body) {
        if (body == null || body.isBlank()) {
            throw ApiException.badRequest("a JSON object body is required");
        }
        try {
            JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
    }

    /** {@code by}: a 64-bit integer in decimal, default 1. */
    private static long amount(String by) {
        if (by == null) {
            return 1;
        }
        try {
            return Long.parseLong(by.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("\"by\" must be a 64-bit integer, was \"" + by + "\"");
        }
    }
}
