package io.mailroom.ui;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The app on a random port with a known admin password, shared by the browser tests (one cached
 * context), plus a plain HTTP client for what a test does behind the page's back (killing a
 * session, say). Every name a test makes is unique, so tests do not see each other's rooms.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "mailroom.admin.password=" + UiTest.PASSWORD)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class UiTest {
    static final String PASSWORD = "ui-test-secret";
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = JsonMapper.builder().build();

    @BeforeAll
    static void needsChromium() {
        Browser.assumeAvailable();
    }

    String url(String path) {
        return "http://localhost:" + port + path;
    }

    /**
     * A name no other test of this run uses (the server lives as long as this JVM): prefix-N,
     * valid for users, and for rooms and counters when prefix is lowercase.
     */
    static String unique(String prefix) {
        return prefix + "-" + IDS.incrementAndGet();
    }

    /** An actuator or REST request as the admin; returns the status and the parsed body (or null). */
    Admin admin(String method, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            String body = response.body();
            return new Admin(response.statusCode(), body == null || body.isBlank() ? null : json.readTree(body));
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed", e);
        }
    }

    record Admin(int status, JsonNode body) {}

    /** The pid of the live process registered as name, found through /actuator/processes. */
    String pidOf(String type, String name) {
        Admin answer = admin("GET", "/actuator/processes?limit=1000&type=" + URLEncoder.encode(type, StandardCharsets.UTF_8));
        for (JsonNode p : answer.body().get("processes")) {
            if (name.equals(p.path("name").asString(null))) {
                return p.get("pid").asString();
            }
        }
        return null;
    }
}
