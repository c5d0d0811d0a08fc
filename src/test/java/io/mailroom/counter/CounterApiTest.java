package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Every row of protocol.md §3, through the real HTTP stack. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(120)
class CounterApiTest {

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    @Autowired
    CounterService counters;

    final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, String contentType, String location, JsonNode body) {}

    Answer request(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode node = r.body() == null || r.body().isBlank() ? null : json.readTree(r.body());
            return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                    r.headers().firstValue("Location").orElse(null), node);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    Answer create(String name, long initial) {
        return request("POST", "/api/counters", "{\"name\":\"" + name + "\",\"initial\":" + initial + "}");
    }

    static void assertProblem(Answer a, int status) {
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.contentType()).startsWith("application/problem+json");
        assertThat(a.body().get("status").asInt()).isEqualTo(status);
    }

    @Test
    void createAnswers201WithLocationAndState() {
        Answer a = create("hits-create", 7);
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.location()).endsWith("/api/counters/hits-create");
        assertThat(a.body().get("name").asString()).isEqualTo("hits-create");
        assertThat(a.body().get("value").asLong()).isEqualTo(7);
        assertThat(a.body().get("restarts").asLong()).isZero();
    }

    @Test
    void initialDefaultsToZero() {
        Answer a = request("POST", "/api/counters", "{\"name\":\"defaulted\"}");
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.body().get("value").asLong()).isZero();
    }

    @Test
    void creatingAnExistingCounterIs409() {
        assertThat(create("twice", 0).status()).isEqualTo(201);
        assertProblem(create("twice", 0), 409);
    }

    @Test
    void badNamesAndBadBodiesAre400() {
        assertProblem(create("Upper", 0), 400);
        assertProblem(create("-dash", 0), 400);
        assertProblem(create("a".repeat(33), 0), 400);
        assertProblem(request("POST", "/api/counters", "{\"name\":\"x\",\"initial\":1.5}"), 400);
        assertProblem(request("POST", "/api/counters", "{\"name\":\"x\",\"initial\":\"5\"}"), 400);
        assertProblem(request("POST", "/api/counters", "{\"name\":\"x\",\"initial\":99999999999999999999}"), 400);
        assertProblem(request("POST", "/api/counters", "{\"name\":5}"), 400);
        assertProblem(request("POST", "/api/counters", "[1,2]"), 400);
        assertProblem(request("POST", "/api/counters", "{not json"), 400);
        assertProblem(request("POST", "/api/counters", ""), 400);
    }

    @Test
    void listIsSortedByName() {
        create("list-b", 2);
        create("list-a", 1);
        Answer a = request("GET", "/api/counters", null);
        assertThat(a.status()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        a.body().forEach(n -> names.add(n.get("name").asString()));
        assertThat(names).isSorted().contains("list-a", "list-b");
    }

    @Test
    void getAnswersStateOr404() {
        create("got", 3);
        Answer a = request("GET", "/api/counters/got", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("value").asLong()).isEqualTo(3);
        assertProblem(request("GET", "/api/counters/missing", null), 404);
    }

    @Test
    void incrementAndDecrementByAmounts() {
        create("arith", 10);
        assertThat(request("POST", "/api/counters/arith/increment", null).body().get("value").asLong()).isEqualTo(11);
        assertThat(request("POST", "/api/counters/arith/increment?by=5", null).body().get("value").asLong()).isEqualTo(16);
        assertThat(request("POST", "/api/counters/arith/increment?by=0", null).body().get("value").asLong()).isEqualTo(16);
        assertThat(request("POST", "/api/counters/arith/increment?by=-20", null).body().get("value").asLong()).isEqualTo(-4);
        assertThat(request("POST", "/api/counters/arith/decrement", null).body().get("value").asLong()).isEqualTo(-5);
        assertThat(request("POST", "/api/counters/arith/decrement?by=-5", null).body().get("value").asLong()).isZero();
        assertProblem(request("POST", "/api/counters/nope/increment", null), 404);
    }

    @Test
    void badByIs400() {
        create("badby", 0);
        assertProblem(request("POST", "/api/counters/badby/increment?by=abc", null), 400);
        assertProblem(request("POST", "/api/counters/badby/increment?by=1.5", null), 400);
        assertProblem(request("POST", "/api/counters/badby/decrement?by=9223372036854775808", null), 400);
    }

    @Test
    void overflowIs422AndLeavesTheValue() {
        create("big", Long.MAX_VALUE - 1);
        assertProblem(request("POST", "/api/counters/big/increment?by=2", null), 422);
        assertThat(request("GET", "/api/counters/big", null).body().get("value").asLong()).isEqualTo(Long.MAX_VALUE - 1);
        create("small", Long.MIN_VALUE);
        assertProblem(request("POST", "/api/counters/small/decrement", null), 422);
        assertProblem(request("POST", "/api/counters/small/increment?by=-1", null), 422);
        assertThat(request("GET", "/api/counters/small", null).body().get("value").asLong()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void crashRestartsAtInitialValueAndCountsTheRestart() {
        create("crashy", 5);
        request("POST", "/api/counters/crashy/increment?by=10", null);
        Answer a = request("POST", "/api/counters/crashy/crash", null);
        assertThat(a.status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode state = request("GET", "/api/counters/crashy", null).body();
            assertThat(state.get("restarts").asLong()).isEqualTo(1);
            assertThat(state.get("value").asLong()).isEqualTo(5);
        });
        assertProblem(request("POST", "/api/counters/nope/crash", null), 404);
    }

    @Test
    void deleteAnswers204Then404() {
        create("gone", 0);
        assertThat(request("DELETE", "/api/counters/gone", null).status()).isEqualTo(204);
        assertProblem(request("GET", "/api/counters/gone", null), 404);
        assertProblem(request("DELETE", "/api/counters/gone", null), 404);
        assertThat(create("gone", 1).status()).isEqualTo(201);
    }

    @Test
    void unknownPathsUnderApiAreProblems() {
        assertProblem(request("GET", "/api/nothing-here", null), 404);
        assertProblem(request("PUT", "/api/counters/x", null), 405);
    }

    @Test
    void concurrentIncrementsAreNeverLost() throws Exception {
        create("concurrent", 0);
        HttpClient shared = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 100; c++) {
                done.add(clients.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        HttpRequest r = HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/counters/concurrent/increment"))
                                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build();
                        HttpResponse<Void> response = shared.send(r, HttpResponse.BodyHandlers.discarding());
                        assertThat(response.statusCode()).isEqualTo(200);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(request("GET", "/api/counters/concurrent", null).body().get("value").asLong()).isEqualTo(100_000);
    }

    @Test
    void aCrashDuringConcurrentIncrementsLosesOnlyWhatTheRestartResets() throws Exception {
        counters.create("busy", 0);
        AtomicLong acknowledgedAfterCrash = new AtomicLong();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            Future<?>[] done = new Future<?>[8];
            for (int c = 0; c < done.length; c++) {
                done[c] = clients.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        CounterView v = counters.increment("busy", 1);
                        if (v.restarts() == 1) {
                            acknowledgedAfterCrash.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            await().until(() -> counters.get("busy").value() > 500);
            counters.crash("busy");
            for (Future<?> f : done) {
                f.get();
            }
        }
        // Every increment answered by the restarted process is in its value, and nothing more:
        // what the old incarnation counted is what the restart reset.
        CounterView end = counters.get("busy");
        assertThat(end.restarts()).isEqualTo(1);
        // An answer tells the value; whether the old or the new process gave it is read from the
        // restart count just after, so an answer from the old one that lands as the new one starts
        // can be counted as "after": at most one per client, as each has one request in flight.
        assertThat(end.value()).isBetween(acknowledgedAfterCrash.get() - 8, acknowledgedAfterCrash.get());
        assertThat(end.value()).isLessThan(4000);
    }
}
