package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Node;
import io.mailroom.testing.Waits;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The running app on a random port with a known admin password, shared (one cached context) by the
 * management tests, and a plain {@link HttpClient} to talk to it: every request goes through the
 * real HTTP stack, security filters included. Waits are Awaitility's, bounded; nothing sleeps.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "mailroom.admin.password=" + ObserveTestSupport.PASSWORD)
@Timeout(120)
abstract class ObserveTestSupport {
    static final String PASSWORD = "observe-test-secret";
    static final Duration WAIT = Waits.WAIT;

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = JsonMapper.builder().build();

    /** An answer: status, headers and body as text. */
    record Answer(int status, HttpResponse<String> response) {
        String body() {
            return response.body();
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    enum Auth { NONE, ADMIN, WRONG }

    Answer send(String method, String path, Auth auth) {
        return send(method, path, auth, null);
    }

    Answer send(String method, String path, Auth auth, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) {
            b.header("Content-Type", "application/json");
        }
        switch (auth) {
            case ADMIN -> b.header("Authorization", basic("admin", PASSWORD));
            case WRONG -> b.header("Authorization", basic("admin", PASSWORD + "-not"));
            case NONE -> { }
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r);
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed", e);
        }
    }

    Answer get(String path, Auth auth) {
        return send("GET", path, auth);
    }

    /** GET as admin, expecting 200 and JSON. */
    JsonNode adminJson(String path) {
        Answer a = get(path, Auth.ADMIN);
        assertThat(a.status()).as("GET %s: %s", path, a.body()).isEqualTo(200);
        return json.readTree(a.body());
    }

    /** {@code /actuator/processes/<pid>} with the pid URL-encoded, as the contract says. */
    static String processPath(Object pid) {
        return "/actuator/processes/" + URLEncoder.encode(pid.toString(), StandardCharsets.UTF_8);
    }

    /** The Prometheus exposition, fetched anonymously (it is open). */
    PrometheusText scrape() {
        Answer a = get("/actuator/prometheus", Auth.NONE);
        assertThat(a.status()).isEqualTo(200);
        return PrometheusText.parse(a.body());
    }

    /** {@link Waits#eventually()}, polling every 50 ms: most conditions here are HTTP requests to the app. */
    static ConditionFactory eventually() {
        return Waits.eventually().pollInterval(Duration.ofMillis(50));
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
