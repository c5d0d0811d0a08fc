package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mailroom.config.CounterProperties;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
 * The crash rate of protocol.md §3 (v1.1): at most {@code mailroom.counters.crash-rate} crash
 * requests per client address, beyond it 429 problem+json and nothing crashes.
 *
 * <p>The refill is slowed to one token in 5 s (burst 20, as the default) so that "a burst" means
 * the same on a loaded machine as on a quiet one: the 40 requests below are all answered long
 * before a token comes back. Each request crashes a counter of its own, so every 202 shows as
 * exactly one restart. The client address comes from {@code X-Forwarded-For}, which Tomcat trusts
 * from a loopback peer under {@code server.forward-headers-strategy=native}: this also shows the
 * limit is per address, and the address the one the proxy forwarded.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.forward-headers-strategy=native",
        "mailroom.counters.crash-rate=0.2",
        "mailroom.counters.crash-burst=20"})
@Timeout(120)
class CrashRateTest {
    static final int BURST = 20;

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, String contentType, String retryAfter, JsonNode body) {}

    Answer post(String path, String body, String clientAddress) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30));
            if (clientAddress != null) {
                b.header("X-Forwarded-For", clientAddress);
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                    r.headers().firstValue("Retry-After").orElse(null),
                    r.body() == null || r.body().isBlank() ? null : json.readTree(r.body()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    long restarts(String name) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/counters/" + name)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return json.readTree(r.body()).get("restarts").asLong();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aBurstFromOneAddressIsCutAtTheBurstAndNothingBeyondItCrashes() throws Exception {
        String address = "203.0.113.7";
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 2 * BURST; i++) {
            String name = "burst-" + i;
            assertThat(post("/api/counters", "{\"name\":\"" + name + "\"}", address).status()).isEqualTo(201);
            names.add(name);
        }

        List<Answer> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2 * BURST)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Answer>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return post("/api/counters/" + name + "/crash", null, address);
                }));
            }
            go.countDown();
            for (Future<Answer> f : futures) {
                answers.add(f.get());
            }
        }

        // one more right after the burst: still refused, and told when to come back
        Answer refused = post("/api/counters/" + names.get(1) + "/crash", null, address);
        long refusedAt = System.nanoTime();
        answers.add(refused);
        names.add(names.get(1));

        List<String> crashed = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            Answer a = answers.get(i);
            if (a.status() == 202) {
                crashed.add(names.get(i));
            } else {
                assertThat(a.status()).isEqualTo(429);
                assertThat(a.contentType()).startsWith("application/problem+json");
                assertThat(a.body().get("status").asInt()).isEqualTo(429);
                assertThat(a.body().get("detail").asString()).contains("0.2/s, burst 20").contains("nothing was crashed");
                assertThat(Long.parseLong(a.retryAfter())).isBetween(1L, 5L);
            }
        }
        assertThat(crashed).hasSize(BURST);
        assertThat(refused.status()).isEqualTo(429);

        // every 202 is one restart of its counter; no 429 crashed anything
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (String name : names) {
                assertThat(restarts(name)).as(name).isEqualTo(crashed.contains(name) ? 1 : 0);
            }
        });

        // the limit is per address: another client is not held back by this one
        String first = names.get(0);
        long before = restarts(first);
        assertThat(post("/api/counters/" + first + "/crash", null, "198.51.100.9").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> restarts(first) == before + 1);

        // and once a token has come back (one in 5 s), the first address is served again
        long waitNanos = Duration.ofSeconds(Long.parseLong(refused.retryAfter())).toNanos() - (System.nanoTime() - refusedAt);
        if (waitNanos > 0) {
            Thread.sleep(Duration.ofNanos(waitNanos));
        }
        String second = names.get(1);
        long beforeSecond = restarts(second);
        assertThat(post("/api/counters/" + second + "/crash", null, address).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> restarts(second) == beforeSecond + 1);
    }

    @Test
    void theDefaultsAreTwentyASecondWithABurstOfTwenty() {
        CounterProperties defaults = new org.springframework.boot.context.properties.bind.Binder()
                .bindOrCreate("mailroom.counters", CounterProperties.class);
        assertThat(defaults.crashRate()).isEqualTo(20.0);
        assertThat(defaults.crashBurst()).isEqualTo(20);
    }
}
