package io.mailroom.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the REST fuzz targets share: requests through the real HTTP stack (the JDK's client to
 * Tomcat on a random port), the promises every answer under {@code /api/} keeps (protocol.md §2,
 * §3: never a 5xx; every 4xx is RFC 9457 {@code application/problem+json} with its status; a 2xx
 * with a body is JSON), and the fuzzer's hostile strings for names and numbers.
 */
public final class ApiFuzzing {
    public static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Numbers at the edges, as text: what {@code by}, {@code since}, {@code limit} and {@code initial} might get. */
    private static final String[] NUMBERS = {"0", "1", "-1", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "-9223372036854775809", "1000", "1001", "00012", "+5", " 7 ", "1e3", "1.5", "0x10",
            "NaN", "", " ", "٣", "99999999999999999999999999999", "1,2", "-0"};

    /** Names at the edges of the room-name rule, and past them. */
    private static final String[] NAMES = {"a", "fz-c", "fz_c-0", "A", "a".repeat(32), "a".repeat(33), "-a", "_a",
            "a b", "a/b", "a%2Fb", "..", ".", "é", "a\u0000", "\ud800", "a;b", "a?b", "a#b", "lobby", "%", "\\"};

    private final int port;

    public ApiFuzzing(int port) {
        this.port = port;
    }

    /** An answer: status, content type, body. */
    public record Answer(String request, int status, String contentType, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }
    }

    public Answer send(String method, String path, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (jsonBody != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Answer a = new Answer(method + " " + path + (jsonBody == null ? "" : " " + jsonBody), r.statusCode(),
                    r.headers().firstValue("Content-Type").orElse(""), r.body());
            check(a);
            return a;
        } catch (java.io.IOException e) {
            throw new AssertionError(method + " " + path + ": the service did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * The promises of every answer under /api/. One known exception, not the app's: Tomcat refuses a
     * path with an encoded {@code /}, {@code \} or NUL ({@code %2F}, {@code %5C}, {@code %00}) in its
     * connector, before any filter or servlet runs, with its own HTML 400 (docs/reliability.md,
     * "Fuzzing", open items).
     */
    public static void check(Answer a) {
        assertThat(a.status()).as("%s answered %d %s", a.request(), a.status(), a.body()).isLessThan(500);
        String path = a.request().split(" ", 3)[1].toUpperCase(java.util.Locale.ROOT);
        if (a.status() == 400 && a.contentType().startsWith("text/html") && (path.contains("%2F") || path.contains("%5C") || path.contains("%00"))) {
            return;
        }
        if (a.status() >= 400) {
            assertThat(a.contentType()).as("%s: a %d's type", a.request(), a.status()).startsWith("application/problem+json");
            JsonNode problem = a.json();
            assertThat(problem.path("status").asInt()).as("%s: problem %s", a.request(), a.body()).isEqualTo(a.status());
            assertThat(problem.path("title").isString()).as("%s: problem %s has a title", a.request(), a.body()).isTrue();
        } else if (!a.body().isEmpty()) {
            assertThat(a.contentType()).as("%s: a %d's type", a.request(), a.status()).startsWith("application/json");
            a.json();
        }
    }

    /** A path segment or query value as a client would send it: percent-encoded UTF-8. */
    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A name: one of the edge cases, or anything. */
    public static String name(FuzzedDataProvider data) {
        return data.consumeBoolean() ? data.pickValue(NAMES) : data.consumeString(40);
    }

    /** A number as text: an edge case, a fuzzer's long, or anything. */
    public static String number(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 2)) {
            case 0 -> data.pickValue(NUMBERS);
            case 1 -> Long.toString(data.consumeLong());
            default -> data.consumeString(24);
        };
    }
}
