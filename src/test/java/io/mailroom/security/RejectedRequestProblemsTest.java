package io.mailroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.web.SecurityHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What Spring Security's firewall refuses under {@code /api/} is a 400 problem+json like any other
 * 4xx there (protocol.md §2, §3), with the security headers; found by the REST fuzzer
 * ({@code CounterApiFuzzTestInputs/requests/crash-d3e15f…}: {@code GET /api/counters/.} answered
 * Spring Boot's {@code application/json} error body). Through the real HTTP stack.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RejectedRequestProblemsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @ParameterizedTest
    @CsvSource({
            "GET, /api/counters/.",
            "GET, /api/counters/..",
            "GET, /api/rooms/./messages",
            "POST, /api/counters/a%3Bb/increment",
            "DELETE, /api/counters/%2e",
            "GET, /api/rooms/a%25b"})
    void aRequestTheFirewallRefusesIsABadRequestProblem(String method, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = JsonMapper.builder().build().readTree(r.body());
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("title").asString()).isEqualTo("Bad Request");
        assertThat(problem.get("detail").asString()).contains("rejected");
        assertThat(problem.get("instance").asString()).isEqualTo(path);
        assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(SecurityHeaders.CONTENT_SECURITY_POLICY);
    }
}
