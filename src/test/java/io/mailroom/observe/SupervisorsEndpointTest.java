package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /actuator/supervisors} (protocol.md §4) through the real HTTP stack. */
class SupervisorsEndpointTest extends ObserveTestSupport {

    /** The child named {@code name} of the root's child supervisor {@code supervisor}. */
    static JsonNode child(JsonNode tree, String supervisor, String name) {
        for (JsonNode s : tree.get("children")) {
            if (s.get("name").asString().equals(supervisor)) {
                for (JsonNode c : s.get("children")) {
                    if (name.equals(c.get("name").asString(null))) {
                        return c;
                    }
                }
            }
        }
        throw new AssertionError("no child " + name + " under " + supervisor + " in " + tree);
    }

    static JsonNode supervisor(JsonNode tree, String name) {
        for (JsonNode s : tree.get("children")) {
            if (s.get("name").asString().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no supervisor " + name + " in " + tree);
    }

    @Test
    void theTreeHasTheContractShape() {
        JsonNode root = adminJson("/actuator/supervisors");
        assertThat(root.get("name").asString()).isEqualTo("root");
        assertThat(root.get("pid").asString()).isEqualTo(node.whereis(ServiceTree.ROOT).orElseThrow().toString());
        assertThat(root.get("strategy").asString()).isEqualTo("one_for_one");
        assertThat(root.get("maxRestarts").asInt()).isEqualTo(3);
        assertThat(root.get("withinSeconds").asInt()).isEqualTo(5);
        assertThat(root.get("restarts").asInt()).isZero();
        assertThat(root.get("totalRestarts").isIntegralNumber()).isTrue();
        assertThat(root.get("childCount").asInt()).isEqualTo(3);
        assertThat(root.get("truncated").asBoolean()).isFalse();

        List<String> names = new ArrayList<>();
        root.get("children").forEach(c -> names.add(c.get("name").asString()));
        assertThat(names).containsExactly(ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS);
        for (JsonNode s : root.get("children")) {
            assertThat(s.get("pid").asString()).matches("<0\\.\\d+\\.0>");
            assertThat(s.get("kind").asString()).isEqualTo("supervisor");
            assertThat(s.get("restart").asString()).isEqualTo("permanent");
            assertThat(s.get("strategy").asString()).isEqualTo("one_for_one");
            assertThat(s.get("restarts").isIntegralNumber()).isTrue();
            assertThat(s.get("childCount").isIntegralNumber()).isTrue();
            assertThat(s.get("truncated").isBoolean()).isTrue();
            assertThat(s.get("children").isArray()).isTrue();
            assertThat(s.has("lastRestartAt")).isTrue();
            assertThat(s.has("lastRestartReason")).isTrue();
        }
        JsonNode counters = supervisor(root, ServiceTree.COUNTERS);
        assertThat(counters.get("maxRestarts").asInt()).isEqualTo(100);
        assertThat(counters.get("withinSeconds").asInt()).isEqualTo(10);
    }

    @Test
    void aWorkerChildShowsKindRestartTypeAndRestarts() {
        String name = "tree-" + System.nanoTime();
        assertThat(send("POST", "/api/counters", Auth.NONE, "{\"name\":\"" + name + "\"}").status()).isEqualTo(201);
        JsonNode c = child(adminJson("/actuator/supervisors"), ServiceTree.COUNTERS, "counter:" + name);
        assertThat(c.get("pid").asString()).isEqualTo(node.whereis("counter:" + name).orElseThrow().toString());
        assertThat(c.get("kind").asString()).isEqualTo("worker");
        assertThat(c.get("restart").asString()).isEqualTo("permanent");
        assertThat(c.get("restarts").asInt()).isZero();
        assertThat(c.get("lastRestartAt").isNull()).isTrue();

        long totalBefore = supervisor(adminJson("/actuator/supervisors"), ServiceTree.COUNTERS)
                .get("totalRestarts").asLong();
        assertThat(send("POST", "/api/counters/" + name + "/crash", Auth.NONE).status()).isEqualTo(202);
        eventually().untilAsserted(() -> {
            JsonNode tree = adminJson("/actuator/supervisors");
            JsonNode restarted = child(tree, ServiceTree.COUNTERS, "counter:" + name);
            assertThat(restarted.get("restarts").asInt()).isEqualTo(1);
            assertThat(restarted.get("lastRestartReason").asString()).contains("crash");
            JsonNode counters = supervisor(tree, ServiceTree.COUNTERS);
            assertThat(counters.get("totalRestarts").asLong()).isEqualTo(totalBefore + 1);
            assertThat(counters.get("lastChildRestartReason").asString()).contains("crash");
        });
        send("DELETE", "/api/counters/" + name, Auth.NONE);
    }

    @Test
    void aSupervisorListsAtMost100ChildrenAndSaysItTruncated() throws Exception {
        Pid<Supervisor.Msg> sessions = node.<Supervisor.Msg>whereis(ServiceTree.SESSIONS).orElseThrow();
        List<Pid<?>> started = new ArrayList<>();
        List<CompletableFuture<StartResult>> starts = new ArrayList<>();
        for (int i = 0; i < 105; i++) {
            ChildSpec<Object> spec = ChildSpec.<Object>worker("many-" + i, Behaviors::ignore)
                    .withOptions(SpawnOptions.ofType("obs-child"))
                    .withRestart(Restart.TEMPORARY);
            starts.add(Supervisor.startChild(node, sessions, spec, Duration.ofSeconds(10)));
        }
        for (CompletableFuture<StartResult> f : starts) {
            if (f.get(30, TimeUnit.SECONDS) instanceof StartResult.Started(var pid)) {
                started.add(pid);
            }
        }
        assertThat(started).hasSize(105);
        try {
            JsonNode s = supervisor(adminJson("/actuator/supervisors"), ServiceTree.SESSIONS);
            assertThat(s.get("childCount").asInt()).isGreaterThanOrEqualTo(105);
            assertThat(s.get("children").size()).isEqualTo(100);
            assertThat(s.get("truncated").asBoolean()).isTrue();
            assertThat(supervisor(adminJson("/actuator/supervisors"), ServiceTree.ROOMS).get("truncated").asBoolean())
                    .isFalse();
        } finally {
            for (Pid<?> pid : started) {
                Supervisor.terminateChild(node, sessions, pid, Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
            }
        }
    }
}
