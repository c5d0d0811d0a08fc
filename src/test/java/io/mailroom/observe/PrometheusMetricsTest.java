package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code /actuator/prometheus}: protocol.md §4's names, types and tags, and values that move. */
class PrometheusMetricsTest extends ObserveTestSupport {

    /** The contract's runtime metrics and their {@code # TYPE}. */
    static final Map<String, String> RUNTIME = Map.of(
            "mailroom_processes", "gauge",
            "mailroom_mailbox_messages", "gauge",
            "mailroom_mailbox_depth_max", "gauge",
            "mailroom_messages_sent_total", "counter",
            "mailroom_process_exits_total", "counter",
            "mailroom_supervisor_restarts_total", "counter",
            "mailroom_scheduler_run_queue", "gauge");

    /** Beyond the contract (issue 15): what the schedulers cost when they are not running processes. */
    static final List<String> SCHEDULER_COUNTERS = List.of(
            "mailroom_scheduler_parks_total",
            "mailroom_scheduler_unparks_total",
            "mailroom_scheduler_steals_total",
            "mailroom_scheduler_spins_total");

    /** The contract's chat metrics (registered by the chat). */
    static final Map<String, String> CHAT = Map.of(
            "mailroom_chat_sessions", "gauge",
            "mailroom_chat_rooms", "gauge",
            "mailroom_chat_messages_total", "counter",
            "mailroom_chat_delivery_seconds", "histogram");

    /** The only tags a mailroom_* series may carry (le: histogram buckets; state: utilisation's running, spinning, parked). */
    static final Set<String> ALLOWED_TAGS = Set.of("type", "reason", "supervisor", "scheduler", "state", "le");
    static final Pattern PID = Pattern.compile(".*<\\d+\\.\\d+\\.\\d+>.*");

    @Test
    void everyRuntimeMetricIsExportedWithItsType() {
        PrometheusText scraped = scrape();
        RUNTIME.forEach((name, type) ->
                assertThat(scraped.types()).as("# TYPE %s", name).containsEntry(name, type));
        List<String> types = scraped.samples("mailroom_processes").stream().map(s -> s.labels().get("type")).toList();
        assertThat(types).contains("room", "session", "counter", "supervisor");
        assertThat(scraped.samples("mailroom_mailbox_messages")).extracting(s -> s.labels().get("type"))
                .contains("room", "session", "counter", "supervisor");
        assertThat(scraped.samples("mailroom_mailbox_depth_max")).extracting(s -> s.labels().get("type"))
                .contains("room", "session", "counter", "supervisor");
        assertThat(scraped.samples("mailroom_process_exits_total")).extracting(s -> s.labels().get("reason"))
                .contains("normal", "shutdown", "crash", "killed");
        assertThat(scraped.samples("mailroom_supervisor_restarts_total")).extracting(s -> s.labels().get("supervisor"))
                .contains(ServiceTree.ROOT, ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS);
        List<String> schedulers = new ArrayList<>();
        for (int i = 0; i < node.schedulerStats().size(); i++) {
            schedulers.add(Integer.toString(i));
        }
        assertThat(scraped.samples("mailroom_scheduler_run_queue")).extracting(s -> s.labels().get("scheduler"))
                .containsAll(schedulers);
        assertThat(scraped.value("mailroom_processes", "type", "supervisor")).isGreaterThanOrEqualTo(4);
    }

    @Test
    void everySupervisorDecisionHasACounterForEachSupervisorOfTheTree() {
        PrometheusText scraped = scrape();
        for (String name : List.of("mailroom_supervisor_start_failures_total",
                "mailroom_supervisor_shutdown_errors_total", "mailroom_supervisor_intensity_exceeded_total")) {
            assertThat(scraped.types()).as("# TYPE %s", name).containsEntry(name, "counter");
            assertThat(scraped.samples(name)).as(name).extracting(s -> s.labels().get("supervisor"))
                    .contains(ServiceTree.ROOT, ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS);
        }
    }

    @Test
    void everySchedulerCountsItsParksUnparksStealsAndSpins() {
        PrometheusText scraped = scrape();
        List<String> schedulers = new ArrayList<>();
        for (int i = 0; i < node.schedulerStats().size(); i++) {
            schedulers.add(Integer.toString(i));
        }
        for (String name : SCHEDULER_COUNTERS) {
            assertThat(scraped.types()).as("# TYPE %s", name).containsEntry(name, "counter");
            assertThat(scraped.samples(name)).as(name).extracting(s -> s.labels().get("scheduler"))
                    .containsExactlyInAnyOrderElementsOf(schedulers);
        }
        // a started service has run turns, and its schedulers have parked since
        double parks = scraped.samples("mailroom_scheduler_parks_total").stream().mapToDouble(PrometheusText.Sample::value).sum();
        assertThat(parks).isPositive();
    }

    @Test
    void everyChatMetricIsExportedWithItsType() {
        PrometheusText scraped = scrape();
        CHAT.forEach((name, type) ->
                assertThat(scraped.types()).as("# TYPE %s (registered by the chat)", name).containsEntry(name, type));
        assertThat(scraped.sampleNames()).contains("mailroom_chat_delivery_seconds_bucket",
                "mailroom_chat_delivery_seconds_count", "mailroom_chat_delivery_seconds_sum");
    }

    @Test
    void aSingleNodeHasNoClusterMeters() {
        assertThat(scrape().sampleNames()).noneMatch(name -> name.startsWith("mailroom_cluster_"));
    }

    @Test
    void noSeriesIsTaggedWithAPidUserOrRoom() {
        Pid<Object> named = node.spawn(Behaviors.ignore(), SpawnOptions.ofType("room").withName("room:tagcheck"));
        try {
            eventually().until(() -> scrape().value("mailroom_processes", "type", "room") >= 1);
            for (PrometheusText.Sample s : scrape().samples()) {
                if (!s.name().startsWith("mailroom_")) {
                    continue;
                }
                assertThat(ALLOWED_TAGS).as("tags of %s", s).containsAll(s.labels().keySet());
                s.labels().values().forEach(v -> {
                    assertThat(v).as("a tag value of %s", s).doesNotMatch(PID);
                    assertThat(v).as("a tag value of %s", s).doesNotContain("tagcheck");
                });
            }
        } finally {
            node.exit(named, ExitReason.KILL);
        }
    }

    @Test
    void processAndMailboxGaugesFollowSpawnsAndQueuedMessages() {
        String type = "metric-" + UUID.randomUUID().toString().substring(0, 8);
        List<Pid<Object>> pids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pids.add(node.spawn(Behaviors.receive(m -> Behaviors.unhandled()), SpawnOptions.ofType(type)));
        }
        double sentBefore = scrape().value("mailroom_messages_sent_total");
        for (int m = 0; m < 7; m++) {
            pids.get(0).send(m);
        }
        for (int m = 0; m < 2; m++) {
            pids.get(1).send(m);
        }
        // a type first seen gets its gauges at the next scan; the scan is reused for a second
        eventually().untilAsserted(() -> {
            PrometheusText s = scrape();
            assertThat(s.value("mailroom_processes", "type", type)).isEqualTo(3);
            assertThat(s.value("mailroom_mailbox_messages", "type", type)).isEqualTo(9);
            assertThat(s.value("mailroom_mailbox_depth_max", "type", type)).isEqualTo(7);
        });
        assertThat(scrape().value("mailroom_messages_sent_total")).isGreaterThanOrEqualTo(sentBefore + 9);

        pids.forEach(p -> node.exit(p, ExitReason.KILL));
        eventually().untilAsserted(() -> {
            PrometheusText s = scrape();
            assertThat(s.value("mailroom_processes", "type", type)).isZero();
            assertThat(s.value("mailroom_mailbox_messages", "type", type)).isZero();
        });
    }

    @Test
    void exitCountersFollowNormalEndsCrashesAndKills() {
        PrometheusText before = scrape();
        Pid<Object> finisher = node.spawn(Behaviors.receive(m -> Behaviors.stopped()));
        Pid<Object> crasher = node.spawn(Behaviors.receive(m -> {
            throw new IllegalStateException("crash on purpose (PrometheusMetricsTest)");
        }));
        Pid<Object> victim = node.spawn(Behaviors.ignore());
        finisher.send("stop");
        crasher.send("boom");
        node.exit(victim, ExitReason.KILL);
        eventually().untilAsserted(() -> {
            PrometheusText after = scrape();
            for (String reason : List.of("normal", "crash", "killed")) {
                assertThat(after.value("mailroom_process_exits_total", "reason", reason)).as(reason)
                        .isGreaterThanOrEqualTo(before.value("mailroom_process_exits_total", "reason", reason) + 1);
            }
        });
    }

    @Test
    void supervisorRestartsRiseWhenACounterCrashes() {
        String name = "prom-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(send("POST", "/api/counters", Auth.NONE, "{\"name\":\"" + name + "\"}").status()).isEqualTo(201);
        double before = scrape().value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.COUNTERS);
        double crashesBefore = scrape().value("mailroom_process_exits_total", "reason", "crash");
        assertThat(send("POST", "/api/counters/" + name + "/crash", Auth.NONE).status()).isEqualTo(202);
        eventually().untilAsserted(() -> {
            PrometheusText s = scrape();
            assertThat(s.value("mailroom_supervisor_restarts_total", "supervisor", ServiceTree.COUNTERS))
                    .isEqualTo(before + 1);
            assertThat(s.value("mailroom_process_exits_total", "reason", "crash")).isGreaterThan(crashesBefore);
        });
        send("DELETE", "/api/counters/" + name, Auth.NONE);
    }
}
