package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** {@code /actuator/processes} (protocol.md §4) through the real HTTP stack. */
class ProcessesEndpointTest extends ObserveTestSupport {

    /** A type label no other test uses, so totals are exact. */
    static String freshType(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Leaves every message in its mailbox (selective receive that wants nothing): a growing mailbox. */
    static <M> Behavior<M> hoarding() {
        return Behaviors.receive(m -> Behaviors.unhandled());
    }

    static <M> Behavior<M> handling() {
        return Behaviors.receive(m -> Behaviors.same());
    }

    List<Pid<Object>> spawn(int n, String type, Behavior<Object> behavior) {
        List<Pid<Object>> pids = new ArrayList<>(n);
        SpawnOptions options = SpawnOptions.ofType(type);
        for (int i = 0; i < n; i++) {
            pids.add(node.spawn(behavior, options));
        }
        return pids;
    }

    void killAll(List<? extends Pid<?>> pids) {
        pids.forEach(p -> node.exit(p, ExitReason.KILL));
    }

    static List<Integer> ints(JsonNode rows, String field) {
        List<Integer> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.get(field).asInt()));
        return out;
    }

    @Test
    void listsTheLargestMailboxesFirstWithinAType() {
        String type = freshType("hoarder");
        List<Pid<Object>> pids = spawn(5, type, hoarding());
        for (int i = 0; i < pids.size(); i++) {
            for (int m = 0; m < i * 3; m++) {
                pids.get(i).send("m" + m);
            }
        }
        JsonNode body = adminJson("/actuator/processes?type=" + type + "&sort=mailbox&limit=3");
        assertThat(body.get("total").asInt()).isEqualTo(5);
        JsonNode rows = body.get("processes");
        assertThat(ints(rows, "mailbox")).containsExactly(12, 9, 6);
        JsonNode first = rows.get(0);
        assertThat(first.get("pid").asString()).isEqualTo(pids.get(4).toString());
        assertThat(first.get("type").asString()).isEqualTo(type);
        assertThat(first.has("name")).isTrue();
        assertThat(first.get("name").isNull()).isTrue();
        assertThat(first.get("status").asString()).isIn("waiting", "runnable", "running");
        assertThat(first.has("reductions")).isTrue();
        assertThat(first.has("supervisor")).isTrue();
        killAll(pids);
    }

    @Test
    void sortsByReductionsWhenAsked() {
        String type = freshType("worker");
        List<Pid<Object>> pids = spawn(4, type, handling());
        int[] handled = {7, 1, 12, 4};
        for (int i = 0; i < pids.size(); i++) {
            for (int m = 0; m < handled[i]; m++) {
                pids.get(i).send(m);
            }
        }
        eventually().untilAsserted(() -> assertThat(ints(adminJson(
                "/actuator/processes?type=" + type + "&sort=reductions&limit=10").get("processes"), "reductions"))
                .containsExactly(12, 7, 4, 1));
        killAll(pids);
    }

    @Test
    void theDefaultLimitIs50AndLargerLimitsAreCappedAt1000() {
        String type = freshType("many");
        List<Pid<Object>> pids = spawn(1200, type, handling());
        JsonNode byDefault = adminJson("/actuator/processes?type=" + type);
        assertThat(byDefault.get("total").asInt()).isEqualTo(1200);
        assertThat(byDefault.get("processes").size()).isEqualTo(50);
        JsonNode capped = adminJson("/actuator/processes?type=" + type + "&limit=5000");
        assertThat(capped.get("total").asInt()).isEqualTo(1200);
        assertThat(capped.get("processes").size()).isEqualTo(1000);
        killAll(pids);
    }

    @Test
    void theTotalWithoutATypeCountsEveryProcessAndSupervisorsAreNamed() {
        JsonNode body = adminJson("/actuator/processes?type=supervisor&limit=1000");
        List<String> names = new ArrayList<>();
        body.get("processes").forEach(r -> names.add(r.get("name").asString()));
        assertThat(names).contains(ServiceTree.ROOT, ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS);
        body.get("processes").forEach(r -> {
            if (r.get("name").asString().equals(ServiceTree.ROOMS)) {
                assertThat(r.get("supervisor").asString()).isEqualTo(ServiceTree.ROOT);
            }
        });
        assertThat(adminJson("/actuator/processes").get("total").asInt()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void badParametersAre400() {
        for (String query : List.of("limit=0", "limit=-3", "limit=abc", "sort=size", "sort=mailbox&limit=1.5")) {
            Answer a = get("/actuator/processes?" + query, Auth.ADMIN);
            assertThat(a.status()).as(query).isEqualTo(400);
        }
        assertThat(adminJson("/actuator/processes?limit=1000").get("processes").size()).isLessThanOrEqualTo(1000);
        assertThat(adminJson("/actuator/processes?limit=1").get("processes").size()).isEqualTo(1);
    }

    @Test
    void oneProcessShowsItsLinksAndMonitors() {
        Pid<Object> target = node.spawn(handling(), SpawnOptions.ofType(freshType("target")));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Pid<Object> watcher = node.spawn(Behaviors.<Object>setup(ctx -> {
            ctx.link(target);
            ctx.monitor(target);
            ready.complete(null);
            return handling();
        }), SpawnOptions.ofType("watcher"));
        ready.orTimeout(30, TimeUnit.SECONDS).join();

        JsonNode t = adminJson(processPath(target));
        assertThat(t.get("pid").asString()).isEqualTo(target.toString());
        assertThat(t.get("links").valueStream().map(JsonNode::asString).toList()).containsExactly(watcher.toString());
        assertThat(t.get("monitoredBy").valueStream().map(JsonNode::asString).toList()).contains(watcher.toString());
        for (String field : List.of("name", "type", "status", "mailbox", "reductions", "supervisor", "monitors")) {
            assertThat(t.has(field)).as(field).isTrue();
        }

        JsonNode w = adminJson(processPath(watcher));
        assertThat(w.get("links").valueStream().map(JsonNode::asString).toList()).containsExactly(target.toString());
        assertThat(w.get("monitors").valueStream().map(JsonNode::asString).toList()).containsExactly(target.toString());
        killAll(List.of(target, watcher));
    }

    @Test
    void aDeadOrUnknownPidIs404() {
        Pid<Object> pid = node.spawn(handling());
        node.exit(pid, ExitReason.KILL);
        eventually().until(() -> !pid.isAlive());
        assertThat(get(processPath(pid), Auth.ADMIN).status()).isEqualTo(404);
        assertThat(send("DELETE", processPath(pid), Auth.ADMIN).status()).isEqualTo(404);
        assertThat(get(processPath("<0.999999999.0>"), Auth.ADMIN).status()).isEqualTo(404);
        assertThat(get("/actuator/processes/garbage", Auth.ADMIN).status()).isEqualTo(404);
        assertThat(send("DELETE", "/actuator/processes/garbage", Auth.ADMIN).status()).isEqualTo(404);
    }

    @Test
    void deleteKillsWithReasonKilledAsExitKill() {
        Pid<Object> victim = node.spawn(handling(), SpawnOptions.ofType(freshType("victim")));
        CompletableFuture<ExitReason> seen = new CompletableFuture<>();
        CompletableFuture<Void> linked = new CompletableFuture<>();
        // a process trapping exits may not refuse kill, but its linked partner learns the reason
        Pid<Object> partner = node.spawn(Behaviors.<Object>setup(ctx -> {
            ctx.trapExits(true);
            ctx.link(victim);
            linked.complete(null);
            return Behaviors.<Object>receive(m -> Behaviors.same()).onSignal((c, signal) -> {
                if (signal instanceof Signal.Exit(var from, var reason) && victim.equals(from)) {
                    seen.complete(reason);
                }
                return Behaviors.same();
            });
        }));
        linked.orTimeout(30, TimeUnit.SECONDS).join();
        double killedBefore = scrape().value("mailroom_process_exits_total", "reason", "killed");

        Answer a = send("DELETE", processPath(victim), Auth.ADMIN);
        assertThat(a.status()).isEqualTo(204);
        assertThat(a.body()).isEmpty();
        assertThat(seen.orTimeout(30, TimeUnit.SECONDS).join()).isEqualTo(ExitReason.KILLED);
        assertThat(get(processPath(victim), Auth.ADMIN).status()).isEqualTo(404);
        assertThat(scrape().value("mailroom_process_exits_total", "reason", "killed")).isGreaterThan(killedBefore);
        killAll(List.of(partner));
    }

    @Test
    void killingACounterMakesItsSupervisorRestartIt() {
        String name = "obs-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(send("POST", "/api/counters", Auth.NONE, "{\"name\":\"" + name + "\",\"initial\":5}").status())
                .isEqualTo(201);
        assertThat(send("POST", "/api/counters/" + name + "/increment?by=3", Auth.NONE).status()).isEqualTo(200);
        Pid<?> first = node.whereis("counter:" + name).orElseThrow();
        double before = scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.COUNTERS);

        assertThat(send("DELETE", processPath(first), Auth.ADMIN).status()).isEqualTo(204);

        eventually().until(() -> node.whereis("counter:" + name).filter(p -> !p.equals(first)).isPresent());
        JsonNode counter = json.readTree(get("/api/counters/" + name, Auth.NONE).body());
        assertThat(counter.get("restarts").asInt()).isEqualTo(1);
        assertThat(counter.get("value").asLong()).as("restarted with its initial value").isEqualTo(5);
        assertThat(scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.COUNTERS))
                .isEqualTo(before + 1);

        JsonNode child = SupervisorsEndpointTest.child(adminJson("/actuator/supervisors"), ServiceTree.COUNTERS,
                "counter:" + name);
        assertThat(child.get("restarts").asInt()).isEqualTo(1);
        assertThat(child.get("lastRestartReason").asString()).isEqualTo("killed");
        assertThat(child.get("lastRestartAt").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(child.get("pid").asString()).isNotEqualTo(first.toString());
        send("DELETE", "/api/counters/" + name, Auth.NONE);
    }

    @Test
    void killingARoomMakesTheRoomsSupervisorRestartIt() throws Exception {
        // a stand-in room (type room, transient, under "rooms") as the chat's rooms are supervised
        String name = "room:obs-" + UUID.randomUUID().toString().substring(0, 8);
        Pid<Supervisor.Msg> rooms = node.<Supervisor.Msg>whereis(ServiceTree.ROOMS).orElseThrow();
        ChildSpec<Object> spec = ChildSpec.<Object>worker(name, ProcessesEndpointTest::handling)
                .withOptions(SpawnOptions.ofType("room").withName(name))
                .withRestart(Restart.TRANSIENT);
        StartResult started = Supervisor.startChild(node, rooms, spec, Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
        assertThat(started).isInstanceOf(StartResult.Started.class);
        Pid<?> first = node.whereis(name).orElseThrow();
        double before = scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.ROOMS);

        assertThat(send("DELETE", processPath(first), Auth.ADMIN).status()).isEqualTo(204);

        eventually().until(() -> node.whereis(name).filter(p -> !p.equals(first)).isPresent());
        assertThat(scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.ROOMS))
                .isEqualTo(before + 1);
        JsonNode child = SupervisorsEndpointTest.child(adminJson("/actuator/supervisors"), ServiceTree.ROOMS, name);
        assertThat(child.get("restarts").asInt()).isEqualTo(1);
        assertThat(child.get("restart").asString()).isEqualTo("transient");
        Supervisor.terminateChild(node, rooms, node.whereis(name).orElseThrow(), Duration.ofSeconds(10))
                .get(30, TimeUnit.SECONDS);
    }

    /**
     * A functional check at scale: a million idle processes, listed with the largest limit. How
     * fast is measured by the JMH benchmark {@code io.mailroom.bench.ProcessListingBench}; here
     * the time is only printed.
     */
    @Test
    @Timeout(240) // spawning and then killing a million processes takes a while on a busy 2-core machine
    void listsAMillionIdleProcesses() {
        String type = freshType("idle");
        int n = 1_000_000;
        List<Pid<Object>> pids = spawn(n, type, handling());
        try {
            long start = System.nanoTime();
            JsonNode byType = adminJson("/actuator/processes?type=" + type + "&sort=mailbox&limit=1000");
            long typed = System.nanoTime() - start;
            assertThat(byType.get("total").asInt()).isEqualTo(n);
            assertThat(byType.get("processes").size()).isEqualTo(1000);
            // ties (every mailbox is empty) go to the oldest pids, in order
            List<String> expected = pids.subList(0, 1000).stream().map(Object::toString).toList();
            assertThat(byType.get("processes").valueStream().map(r -> r.get("pid").asString()).toList())
                    .containsExactlyElementsOf(expected);

            start = System.nanoTime();
            JsonNode all = adminJson("/actuator/processes?sort=reductions&limit=1000");
            long untyped = System.nanoTime() - start;
            assertThat(all.get("total").asInt()).isGreaterThanOrEqualTo(n);
            System.out.printf("processes listing over %,d processes: %d ms by type, %d ms all (not asserted)%n",
                    node.processCount(), typed / 1_000_000, untyped / 1_000_000);
        } finally {
            killAll(pids);
            eventually().atMost(Duration.ofSeconds(180)).until(() -> node.processCount() < n / 2);
        }
    }
}
