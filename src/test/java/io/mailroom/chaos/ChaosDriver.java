package io.mailroom.chaos;

import static org.awaitility.Awaitility.await;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chaos run (issue 13, docs/reliability.md "Chaos"): clients chat over real WebSockets at a
 * steady rate while a driver kills room processes, session processes (through {@code Node.exit}
 * and the actuator) and drops sockets; clients reconnect as the UI does. Then everything calms
 * down, the exact checker compares what every member got with what the server stored and acked,
 * and the leak check waits for the process table, the sessions and the sockets to return to
 * where they were. Used by {@code ChaosTest} (CI size) and {@code bench/chaos.sh} (any size).
 */
public final class ChaosDriver {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    /** How long the calm-down after the chaos may take before the run is failed. */
    private static final Duration SETTLE = Duration.ofSeconds(90);

    /** The server under test, as the driver sees it. */
    public record Server(int port, Node node, IntSupplier sessions, IntSupplier sockets, String adminPassword) {}

    /** What clients share: the HTTP stack, the checker, the histograms, the counts. */
    static final class Shared {
        final int port;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        final DeliveryChecker checker = new DeliveryChecker();
        /** Live delivery latency; the soak swaps it for a fresh one every sample window. */
        volatile LatencyHistogram deliveryLatency = new LatencyHistogram();
        final LatencyHistogram ackLatency = new LatencyHistogram();
        final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> daemon(r, "chaos-timer"));
        final ExecutorService rest = Executors.newFixedThreadPool(4, r -> daemon(r, "chaos-rest"));
        final LongAdder connects = new LongAdder();
        final LongAdder reconnects = new LongAdder();
        final LongAdder unacked = new LongAdder();
        final LongAdder pagings = new LongAdder();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

        Shared(int port) {
            this.port = port;
        }

        /** The window's latencies so far, and a fresh histogram for the next window. */
        LatencyHistogram swapDeliveryLatency() {
            LatencyHistogram window = deliveryLatency;
            deliveryLatency = new LatencyHistogram();
            return window;
        }

        void error(String code) {
            errors.computeIfAbsent(code, c -> new LongAdder()).increment();
        }

        void close() {
            timers.shutdownNow();
            rest.shutdownNow();
            http.close();
        }
    }

    private final ChaosSettings settings;
    private final Server server;
    private final Random random;

    public ChaosDriver(ChaosSettings settings, Server server) {
        this.settings = settings;
        this.server = server;
        this.random = new Random(settings.seed());
    }

    public ChaosReport run() {
        Map<String, Integer> processesBefore = processesByType();
        int sessionsBefore = server.sessions().getAsInt();
        int socketsBefore = server.sockets().getAsInt();
        long heapBefore = heapAfterGc();

        ChaosReport.Builder report = new ChaosReport.Builder(settings);
        report.baseline(processesBefore, sessionsBefore, socketsBefore, heapBefore);
        Shared shared = new Shared(server.port());
        try {
            List<String> rooms = new ArrayList<>();
            for (int r = 0; r < settings.rooms(); r++) {
                rooms.add("cz" + r);
            }
            List<ChaosClient> clients = new ArrayList<>();
            for (int i = 0; i < settings.clients(); i++) {
                List<String> mine = new ArrayList<>();
                for (int k = 0; k < settings.roomsPerClient(); k++) {
                    mine.add(rooms.get((i + k * Math.max(1, settings.rooms() / settings.roomsPerClient())) % rooms.size()));
                }
                clients.add(new ChaosClient("cz" + i, mine.stream().distinct().toList(), shared));
            }
            clients.forEach(ChaosClient::connect);
            await("every client connected and joined").atMost(SETTLE).pollInterval(Duration.ofMillis(20))
                    .until(() -> clients.stream().allMatch(ChaosClient::settled));

            long start = System.nanoTime();
            chat(clients, shared, report);
            report.chaosSeconds((System.nanoTime() - start) / 1e9);

            await("every client back, joined and caught up on its acks").atMost(SETTLE).pollInterval(Duration.ofMillis(20))
                    .until(() -> clients.stream().allMatch(ChaosClient::settled));
            Map<String, Long> lastSeqs = new TreeMap<>();
            for (String room : rooms) {
                lastSeqs.put(room, lastSeq(shared, room));
            }
            await("every member at its room's last seq").atMost(SETTLE).pollInterval(Duration.ofMillis(20))
                    .until(() -> clients.stream().allMatch(c -> c.rooms().stream()
                            .allMatch(r -> c.log(r).last() >= lastSeqs.get(r))));
            check(clients, rooms, lastSeqs, shared, report);

            clients.forEach(ChaosClient::close);
            leaks(processesBefore, sessionsBefore, socketsBefore, report);
        } finally {
            shared.close();
        }
        report.heapAfter(heapAfterGc());
        return report.build();
    }

    /** The chatting under chaos: a sender and a killer, each at its fixed rate, for the duration. */
    private void chat(List<ChaosClient> clients, Shared shared, ChaosReport.Builder report) {
        LongAdder skipped = new LongAdder();
        LongAdder sent = new LongAdder();
        Random sendRandom = new Random(random.nextLong());
        long sendPeriod = Math.max(1, (long) (1e9 / settings.sendRate()));
        var sender = shared.timers.scheduleAtFixedRate(() -> {
            ChaosClient c = clients.get(sendRandom.nextInt(clients.size()));
            List<String> rooms = c.rooms();
            if (c.send(rooms.get(sendRandom.nextInt(rooms.size())))) {
                sent.increment();
            } else {
                skipped.increment(); // not connected or not joined just now: a user would wait too
            }
        }, 0, sendPeriod, TimeUnit.NANOSECONDS);

        Kills kills = new Kills(clients, new Random(random.nextLong()), shared);
        ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "chaos-killer"));
        if (settings.killRate() > 0) {
            killer.scheduleAtFixedRate(kills::one, 0, Math.max(1, (long) (1e9 / settings.killRate())), TimeUnit.NANOSECONDS);
        }
        java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);
        shared.timers.schedule(over::countDown, settings.duration().toNanos(), TimeUnit.NANOSECONDS);
        try {
            over.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sender.cancel(false);
            // shutdown, not shutdownNow: a kill through the actuator may be in flight, and
            // interrupting its HTTP call made the checker report a failed kill (seen in CI-sized runs)
            killer.shutdown();
            try {
                killer.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        report.sends(sent.sum(), skipped.sum());
        report.kills(kills.rooms.sum(), kills.sessions.sum(), kills.sockets.sum(), kills.viaActuator.sum(), kills.missed.sum());
    }

    /** One kill at a time, of a kind chosen by the weights. */
    private final class Kills {
        final LongAdder rooms = new LongAdder();
        final LongAdder sessions = new LongAdder();
        final LongAdder sockets = new LongAdder();
        final LongAdder viaActuator = new LongAdder();
        final LongAdder missed = new LongAdder();
        private final List<ChaosClient> clients;
        private final Random random;
        private final Shared shared;
        private long processKills;

        Kills(List<ChaosClient> clients, Random random, Shared shared) {
            this.clients = clients;
            this.random = random;
            this.shared = shared;
        }

        void one() {
            int pick = random.nextInt(settings.roomWeight() + settings.sessionWeight() + settings.socketWeight());
            ChaosClient client = clients.get(random.nextInt(clients.size()));
            if (pick < settings.roomWeight()) {
                String room = "cz" + random.nextInt(settings.rooms());
                if (kill("room:" + room)) {
                    rooms.increment();
                }
            } else if (pick < settings.roomWeight() + settings.sessionWeight()) {
                if (kill("session:" + client.user)) {
                    sessions.increment();
                }
            } else {
                client.abortSocket();
                sockets.increment();
            }
        }

        private boolean kill(String name) {
            Optional<Pid<Object>> pid = server.node().whereis(name);
            if (pid.isEmpty()) {
                missed.increment(); // between two lives (a session reconnecting, a room restarting)
                return false;
            }
            processKills++;
            if (settings.actuatorEvery() > 0 && processKills % settings.actuatorEvery() == 0) {
                int status = actuatorKill(pid.get());
                if (status == 404) {
                    missed.increment();
                    return false;
                }
                if (status != 204) {
                    shared.checker.problem("DELETE /actuator/processes/%s answered %d", pid.get(), status);
                    return false;
                }
                viaActuator.increment();
            } else {
                server.node().exit(pid.get(), ExitReason.KILL);
            }
            return true;
        }

        private int actuatorKill(Pid<?> pid) {
            String auth = Base64.getEncoder().encodeToString(("admin:" + server.adminPassword()).getBytes(StandardCharsets.UTF_8));
            try {
                return shared.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                                        + "/actuator/processes/" + URLEncoder.encode(pid.toString(), StandardCharsets.UTF_8)))
                                .DELETE().header("Authorization", "Basic " + auth).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                shared.checker.problem("actuator kill of %s failed: %s", pid, e);
                return -1;
            }
        }
    }

    /**
     * The exact check, per room: the stored history (REST) has every seq 1..last once; every
     * acknowledged message is stored as sent; everything any member saw is what is stored; every
     * member has every seq 1..last (its bitmap is full).
     */
    private void check(List<ChaosClient> clients, List<String> rooms, Map<String, Long> lastSeqs, Shared shared,
                       ChaosReport.Builder report) {
        long lostAcked = 0;
        long undelivered = 0;
        long storedGaps = 0;
        long messages = 0;
        long acked = 0;
        for (String room : rooms) {
            long last = lastSeqs.get(room);
            messages += last;
            Map<Long, String> stored = storedHistory(shared, room);
            for (long s = 1; s <= last; s++) {
                if (!stored.containsKey(s)) {
                    storedGaps++;
                    shared.checker.problem("%s: seq %d missing from the stored history", room, s);
                }
            }
            if (stored.size() != last) {
                shared.checker.problem("%s: %d stored messages for last seq %d", room, stored.size(), last);
            }
            for (var a : shared.checker.acked(room).entrySet()) {
                acked++;
                if (!a.getValue().equals(stored.get(a.getKey()))) {
                    lostAcked++;
                    shared.checker.problem("%s: acked seq %d (%s) stored as %s", room, a.getKey(),
                            a.getValue().replace('\n', ':'), stored.get(a.getKey()));
                }
            }
            for (var seen : shared.checker.seen(room).entrySet()) {
                if (!seen.getValue().equals(stored.get(seen.getKey()))) {
                    shared.checker.mismatches.increment();
                    shared.checker.problem("%s: seq %d seen as %s, stored as %s", room, seen.getKey(),
                            seen.getValue().replace('\n', ':'), stored.get(seen.getKey()));
                }
            }
            for (ChaosClient c : clients) {
                MemberLog log = c.log(room);
                if (log == null) {
                    continue;
                }
                long missing = log.missing(last);
                if (missing > 0) {
                    undelivered += missing;
                    shared.checker.problem("%s missed %d of %s's %d messages, the first %d", c.user, missing, room, last,
                            log.firstMissing(last));
                }
                if (log.last() > last) {
                    shared.checker.problem("%s has seq %d of %s beyond its last %d", c.user, log.last(), room, last);
                }
            }
        }
        DeliveryChecker k = shared.checker;
        Map<String, Long> errors = new TreeMap<>();
        shared.errors.forEach((code, n) -> errors.put(code, n.sum()));
        report.checked(messages, acked, k.deliveries.sum(), k.liveDeliveries.sum(), k.historyDeliveries.sum(),
                k.restDeliveries.sum(), k.restOverlaps.sum(), lostAcked, undelivered, storedGaps, k.duplicates.sum(),
                k.outOfOrder.sum(), k.mismatches.sum(), shared.unacked.sum(), shared.reconnects.sum(), shared.pagings.sum(),
                errors, shared.deliveryLatency, shared.ackLatency, k.problems());
    }

    /** After every client closed: the process table by type, the sessions and the sockets return to the baseline. */
    private void leaks(Map<String, Integer> processesBefore, int sessionsBefore, int socketsBefore, ChaosReport.Builder report) {
        try {
            await().atMost(SETTLE).pollInterval(Duration.ofMillis(50)).until(() ->
                    processesByType().equals(processesBefore) && server.sessions().getAsInt() == sessionsBefore
                            && server.sockets().getAsInt() == socketsBefore);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // reported below, with the numbers
        }
        report.after(processesByType(), server.sessions().getAsInt(), server.sockets().getAsInt());
    }

    private Map<String, Integer> processesByType() {
        Map<String, Integer> byType = new TreeMap<>();
        server.node().forEachProcess(p -> byType.merge(p.type(), 1, Integer::sum));
        return byType;
    }

    private static long lastSeq(Shared shared, String room) {
        JsonNode detail = JSON.readTree(get(shared, "/api/rooms/" + room));
        return detail.get("lastSeq").asLong();
    }

    /** Every stored message of the room, through REST in pages of 1000: seq → "from\ntext". */
    private static Map<Long, String> storedHistory(Shared shared, String room) {
        Map<Long, String> stored = new TreeMap<>();
        long after = 0;
        while (true) {
            JsonNode page = JSON.readTree(get(shared, "/api/rooms/" + room + "/messages?since=" + after + "&limit=1000"));
            for (JsonNode m : page) {
                after = m.get("seq").asLong();
                if (stored.put(after, m.get("from").asString() + "\n" + m.get("text").asString()) != null) {
                    shared.checker.problem("%s: seq %d stored twice", room, after);
                }
            }
            if (page.size() < 1000) {
                return stored;
            }
        }
    }

    private static String get(Shared shared, String path) {
        try {
            HttpResponse<String> r = shared.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + shared.port + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return r.body();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("GET " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("GET " + path, e);
        }
    }

    /** Heap in use after a full collection (System.gc is honoured by the default collectors). */
    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
