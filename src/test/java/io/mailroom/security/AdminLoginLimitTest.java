package io.mailroom.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Failed admin logins limited per client address (issue 11), through the real HTTP stack and
 * Spring Security's filter chain: past the bucket, 429 problem+json with {@code Retry-After} and
 * the password not even checked; a right password from another address unaffected.
 *
 * <p>The refill is slowed to one token in 5 s (burst 20, as the default) so that "past the burst"
 * means the same on a loaded machine as on a quiet one; the bounds below still allow for the
 * tokens that come back while the requests run. The client address comes from
 * {@code X-Forwarded-For}, which Tomcat trusts from a loopback peer under
 * {@code server.forward-headers-strategy=native}, as in {@code CrashRateTest}; each test floods an
 * address of its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.forward-headers-strategy=native",
        "mailroom.admin.password=" + AdminLoginLimitTest.PASSWORD,
        "mailroom.admin.failed-auth-rate=0.2",
        "mailroom.admin.failed-auth-burst=20"})
@Timeout(180)
class AdminLoginLimitTest {
    static final String PASSWORD = "limit-test-secret";
    static final int BURST = 20;
    static final double PER_SECOND = 0.2;
    static final String PROTECTED = "/actuator/supervisors";

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, String contentType, String retryAfter, String wwwAuthenticate, String body) {}

    Answer get(String path, String authorization, String clientAddress) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30));
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            if (clientAddress != null) {
                b.header("X-Forwarded-For", clientAddress);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                    r.headers().firstValue("Retry-After").orElse(null),
                    r.headers().firstValue("WWW-Authenticate").orElse(null), r.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static final String RIGHT = basic("admin", PASSWORD);
    static final String WRONG = basic("admin", PASSWORD + "-not");

    @Test
    void aThousandWrongPasswordsGet401Then429AndTheServiceAndTheRightPasswordKeepWorking() throws Exception {
        String flooder = "192.0.2.11";
        List<Answer> answers = new ArrayList<>();
        long started = System.nanoTime();
        // the burst, one by one: every one of them is checked and refused
        for (int i = 0; i < BURST; i++) {
            answers.add(get(PROTECTED, WRONG, flooder));
        }
        // the rest, 8 at a time
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Answer>> rest = new ArrayList<>();
            for (int i = BURST; i < 1000; i++) {
                // a wrong user counts as much as a wrong password
                String authorization = i % 2 == 0 ? WRONG : basic("root", PASSWORD);
                rest.add(pool.submit(() -> get(PROTECTED, authorization, flooder)));
            }
            for (Future<Answer> f : rest) {
                answers.add(f.get());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        assertThat(answers.subList(0, BURST)).allSatisfy(a -> assertThat(a.status()).isEqualTo(401));
        long unauthorized = answers.stream().filter(a -> a.status() == 401).count();
        long tooMany = answers.stream().filter(a -> a.status() == 429).count();
        assertThat(unauthorized + tooMany).as("every answer is 401 or 429").isEqualTo(1000);
        assertThat(unauthorized).as("the burst, and one per token refilled in %.1f s", seconds)
                .isBetween((long) BURST, BURST + (long) Math.ceil(seconds * PER_SECOND));
        for (Answer a : answers) {
            if (a.status() == 401) {
                assertThat(a.wwwAuthenticate()).startsWith("Basic ");
                assertThat(a.body()).isEmpty();
            } else {
                assertThat(a.contentType()).startsWith("application/problem+json");
                assertThat(Long.parseLong(a.retryAfter())).isBetween(1L, (long) Math.ceil(1 / PER_SECOND));
                JsonNode problem = json.readTree(a.body());
                assertThat(problem.get("status").asInt()).isEqualTo(429);
                assertThat(problem.get("instance").asString()).isEqualTo(PROTECTED);
                assertThat(problem.get("detail").asString())
                        .contains("0.2/s, burst 20").contains("the credentials were not checked");
                assertThat(a.wwwAuthenticate()).isNull();
            }
        }

        // the service keeps serving, and the admin from another address gets in at once
        assertThat(get("/actuator/health", null, flooder).status()).isEqualTo(200);
        assertThat(get("/api/counters", null, flooder).status()).isEqualTo(200);
        assertThat(get(PROTECTED, RIGHT, "192.0.2.12").status()).isEqualTo(200);
        // and from the flooding address once a token is back; a refused try takes none
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> get(PROTECTED, RIGHT, flooder).status() == 200);
    }

    @Test
    void pastTheBurstEvenTheRightPasswordIsRefusedUnchecked() {
        String guesser = "192.0.2.21";
        for (int i = 0; i < BURST; i++) {
            assertThat(get(PROTECTED, WRONG, guesser).status()).isEqualTo(401);
        }
        Answer right = get(PROTECTED, RIGHT, guesser);
        assertThat(right.status()).isEqualTo(429);
        assertThat(right.body()).contains("not checked");
        assertThat(get(PROTECTED, RIGHT, "192.0.2.22").status()).isEqualTo(200);
    }

    @Test
    void rightLoginsTakeNothingFromTheBucket() {
        String admin = "192.0.2.31";
        for (int i = 0; i < 3 * BURST; i++) {
            assertThat(get(PROTECTED, RIGHT, admin).status()).as("login %d", i).isEqualTo(200);
        }
        for (int i = 0; i < BURST; i++) {
            assertThat(get(PROTECTED, WRONG, admin).status()).as("wrong %d", i).isEqualTo(401);
        }
        assertThat(get(PROTECTED, WRONG, admin).status()).isEqualTo(429);
    }

    @Test
    void requestsWithoutCredentialsAreNotCounted() {
        String anonymous = "192.0.2.41";
        for (int i = 0; i < 3 * BURST; i++) {
            Answer a = get(PROTECTED, null, anonymous);
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.wwwAuthenticate()).startsWith("Basic ");
        }
        assertThat(get(PROTECTED, RIGHT, anonymous).status()).isEqualTo(200);
    }
}
