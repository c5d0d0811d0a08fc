package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Issue 11's crash flood, with the default crash rate (20/s, burst 20): 600 anonymous crash
 * requests, 32 at a time, over 50 counters. Before the rate it pushed {@code counters} past its
 * intensity until the root gave up; now the service keeps serving and the root stays the same
 * process. The flood comes from one forwarded address (see {@link CrashRateTest}), so that other
 * test classes sharing the loopback address are not slowed by what it leaves of the bucket.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "server.forward-headers-strategy=native")
@Timeout(180)
class CrashFloodTest {
    static final int REQUESTS = 600;
    static final int CONCURRENCY = 32;
    static final int COUNTERS = 50;
    static final String ADDRESS = "192.0.2.66";

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    @Autowired
    Node node;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).header("X-Forwarded-For", ADDRESS);
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCrashFloodLeavesTheServiceServingAndTheRootInPlace() throws Exception {
        for (int i = 0; i < COUNTERS; i++) {
            assertThat(send("POST", "/api/counters", "{\"name\":\"flood-" + i + "\",\"initial\":" + i + "}").statusCode())
                    .isEqualTo(201);
        }
        Pid<Object> root = node.<Object>whereis(ServiceTree.ROOT).orElseThrow();

        long started = System.nanoTime();
        List<Integer> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String name = "flood-" + (i % COUNTERS);
                futures.add(pool.submit(() -> send("POST", "/api/counters/" + name + "/crash", null).statusCode()));
            }
            for (Future<Integer> f : futures) {
                statuses.add(f.get());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        long accepted = statuses.stream().filter(s -> s == 202).count();
        long refused = statuses.stream().filter(s -> s == 429).count();
        assertThat(accepted + refused).as("every answer is 202 or 429").isEqualTo(REQUESTS);
        // the burst, then the rate: never more than the bucket can give in the time the flood took
        assertThat(accepted).isBetween(20L, 20L + (long) Math.ceil(20 * seconds) + 1);

        // the root is the same process: it never gave up; and the service answers as before
        assertThat(node.<Object>whereis(ServiceTree.ROOT)).contains(root);
        HttpResponse<String> health = send("GET", "/actuator/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json.readTree(health.body()).get("status").asString()).isEqualTo("UP");

        HttpResponse<String> list = send("GET", "/api/counters", null);
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode counters = json.readTree(list.body());
        List<String> names = new ArrayList<>();
        counters.forEach(c -> names.add(c.get("name").asString()));
        for (int i = 0; i < COUNTERS; i++) {
            assertThat(names).contains("flood-" + i);
        }
        HttpResponse<String> inc = send("POST", "/api/counters/flood-7/increment?by=5", null);
        assertThat(inc.statusCode()).isEqualTo(200);
        assertThat(json.readTree(inc.body()).get("value").asLong()).isEqualTo(12);
    }
}
