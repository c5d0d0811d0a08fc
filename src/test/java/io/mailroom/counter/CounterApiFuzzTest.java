package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mailroom.web.ApiFuzzing;
import io.mailroom.web.ApiFuzzing.Answer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The counters API (protocol.md §3) under fuzzer-chosen requests through the real HTTP stack
 * (docs/reliability.md, "Fuzzing"): creates with hostile bodies (any text, JSON with odd names,
 * {@code initial} of any type and size, nesting, duplicates), reads, increments and decrements with
 * any {@code by}, crashes and deletes, on hostile names. Never a 5xx, every 4xx problem+json with
 * its status (checked in {@link ApiFuzzing#check}); and a model: a counter this input created holds
 * exactly what its answers say, an overflow is 422 and changes nothing, a bad {@code by} is 400.
 * Every counter created is deleted again, and the service still lists counters afterwards.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.counters.crash-rate=1000", "mailroom.counters.crash-burst=1000"})
class CounterApiFuzzTest {
    @LocalServerPort
    int port;

    @FuzzTest(maxDuration = "2m")
    void requests(FuzzedDataProvider data) {
        try (SilentCloseable local = BugDetectors.allowNetworkConnections(
                (host, p) -> (host.equals("127.0.0.1") || host.equals("localhost")) && p == port)) {
            run(new ApiFuzzing(port), data);
        }
    }

    private void run(ApiFuzzing api, FuzzedDataProvider data) {
        Map<String, Long> model = new HashMap<>();   // counters this input created: name → value
        Set<String> created = new LinkedHashSet<>();
        try {
            int ops = data.consumeInt(1, 10);
            for (int i = 0; i < ops; i++) {
                String name = data.consumeBoolean() && !created.isEmpty() ? data.pickValue(created) : ApiFuzzing.name(data);
                String path = "/api/counters/" + ApiFuzzing.encode(name);
                switch (data.consumeInt(0, 6)) {
                    case 0 -> {
                        Answer a = api.send("POST", "/api/counters", body(data, name));
                        if (a.status() == 201) {
                            JsonNode c = a.json();
                            created.add(c.get("name").asString());
                            model.put(c.get("name").asString(), c.get("value").asLong());
                        }
                    }
                    case 1, 2 -> {
                        boolean up = data.consumeBoolean();
                        String by = data.consumeBoolean() ? null : ApiFuzzing.number(data);
                        String query = by == null ? "" : "?by=" + ApiFuzzing.encode(by)
                                + (data.consumeBoolean() ? "" : "&by=" + ApiFuzzing.encode(ApiFuzzing.number(data)));
                        Answer a = api.send("POST", path + (up ? "/increment" : "/decrement") + query, null);
                        expectAmount(a, model, name, by, query, up);
                    }
                    case 3 -> {
                        Answer a = api.send("GET", path, null);
                        if (model.containsKey(name)) {
                            assertThat(a.status()).as(a.request()).isEqualTo(200);
                            if (model.get(name) != null) { // not just crashed
                                assertThat(a.json().get("value").asLong()).as(a.request()).isEqualTo(model.get(name));
                            }
                        }
                    }
                    case 4 -> {
                        Answer a = api.send("POST", path + "/crash", null);
                        if (model.containsKey(name)) {
                            assertThat(a.status()).as(a.request()).isEqualTo(202);
                            model.put(name, null); // restarted at its initial value, some time soon: unknown from here
                        }
                    }
                    case 5 -> {
                        Answer a = api.send("DELETE", path, null);
                        if (model.containsKey(name)) {
                            assertThat(a.status()).as(a.request()).isEqualTo(204);
                            model.remove(name);
                            created.remove(name);
                        }
                    }
                    default -> api.send("GET", "/api/counters", null);
                }
            }
        } finally {
            for (String name : created) {
                api.send("DELETE", "/api/counters/" + ApiFuzzing.encode(name), null);
            }
        }
        assertThat(api.send("GET", "/api/counters", null).status()).as("the service still answers").isEqualTo(200);
    }

    /** What an increment or decrement must have answered, for a counter whose value the model knows. */
    private static void expectAmount(Answer a, Map<String, Long> model, String name, String by, String query, boolean up) {
        if (!model.containsKey(name) || model.get(name) == null) {
            if (model.containsKey(name) && a.status() == 200) {
                model.put(name, a.json().get("value").asLong()); // known again after a crash's restart
            }
            return;
        }
        Long amount = by == null ? Long.valueOf(1) : parse(by);
        if (query.contains("&by=")) {
            amount = null; // two values: Spring joins them with a comma, which is not a 64-bit integer
        }
        if (amount == null) {
            assertThat(a.status()).as(a.request()).isEqualTo(400);
            return;
        }
        long old = model.get(name);
        try {
            long expected = up ? Math.addExact(old, amount) : Math.subtractExact(old, amount);
            assertThat(a.status()).as(a.request()).isEqualTo(200);
            assertThat(a.json().get("value").asLong()).as(a.request()).isEqualTo(expected);
            model.put(name, expected);
        } catch (ArithmeticException overflow) {
            assertThat(a.status()).as("%s on %d", a.request(), old).isEqualTo(422);
        }
    }

    /** {@code by} as the contract reads it: a 64-bit integer (white space around allowed), or null for anything else. */
    private static Long parse(String by) {
        try {
            return Long.parseLong(by.trim()); // as the controller reads it
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A create body: valid, odd, or anything at all. */
    private static String body(FuzzedDataProvider data, String name) {
        String jsonName = ApiFuzzing.JSON.writeValueAsString(name);
        return switch (data.consumeInt(0, 6)) {
            case 0 -> "{\"name\":" + jsonName + "}";
            case 1 -> "{\"name\":" + jsonName + ",\"initial\":" + ApiFuzzing.number(data) + "}";
            case 2 -> "{\"name\":" + jsonName + ",\"initial\":" + ApiFuzzing.JSON.writeValueAsString(ApiFuzzing.number(data)) + "}";
            case 3 -> "{\"name\":" + jsonName + ",\"name\":" + jsonName + ",\"initial\":[" + "[".repeat(data.consumeInt(0, 3000)) + "}";
            case 4 -> "{\"name\":" + (data.consumeBoolean() ? "1" : "null") + "}";
            case 5 -> "";
            default -> data.consumeString(300);
        };
    }
}
