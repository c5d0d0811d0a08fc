package io.mailroom.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.chat.Room;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TcpProxy;
import io.mailroom.cluster.TestCluster;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.testing.Waits;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Chaos with a cluster (protocol.md §5): two nodes (two Spring contexts in this JVM), each reaching
 * one real redis-server through its own {@link TcpProxy}, members on both nodes sending in shared
 * rooms while faults come one after another: a node cut off from Redis ({@code cut}: its proxy
 * drops every connection, as a partition with resets would), Redis stopped ({@code stop}: with
 * {@code SHUTDOWN SAVE}, back with its data, as a restarted Redis with persistence), and a node
 * killed ({@code kill}: a fresh node is started, then the oldest live node is cut off first, so
 * nothing of its shutdown reaches Redis, and its context closed; its members reconnect to the live
 * nodes in turn with {@code resume} and {@code since}, as the UI does). So any number of kills
 * leaves two live nodes with members of every room on each. Beside the faults, room processes of
 * the live nodes are killed at random ({@code room-kill-rate} a second): a room's restart is
 * invisible to its members in a cluster as on one node, even while its store is away.
 *
 * <p>The ground truth is Redis's own stream of each room, read after the run. Checked:
 * <ol>
 *   <li>every send got exactly one answer, an {@code ack} or the error {@code unavailable}; only
 *       a send on a socket of the killed node may have none (the socket went before its answer);
 *   <li>the stream holds seqs 1..last, each once, and each send's text at most once;
 *   <li>an acked send is stored under the ack's seq, with its sender and text;
 *   <li>a send answered {@code unavailable} is not stored ("nothing was stored or delivered");
 *   <li>a send made while its node could not reach Redis (cut, killed, or Redis down) got {@code unavailable},
 *       unless its room's process on that node was killed before answering it: the next process
 *       cannot know whether the dead one handed it to Redis, so it stores it once Redis is back;
 *   <li>every member received every stored message of its rooms, as {@code message}, its own
 *       {@code ack}, or in the {@code joined} history of a reconnect, in seq order, with no gap and
 *       no duplicate, and each with the stored text;
 *   <li>every node's history of each room ({@code GET /api/rooms/{room}/messages}) is the stream,
 *       a node started after the run included.
 * </ol>
 * Sizes through {@code cluster-chaos.*} system properties ({@code bench/chaos.sh cluster …}).
 */
class ClusterChaosTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /**
     * The run's size; the defaults are CI's (about 40 s of chaos). {@code up} and {@code down} are
     * measured in sends: each phase lasts until as many sends are acked (up) or refused (down) as
     * {@code sendRate} makes in that time. {@code faults}: {@code cut}, {@code stop} and {@code kill},
     * in order; a cut takes the live nodes in turn, a kill the oldest live node (after starting its replacement).
     */
    record Settings(int clients, int rooms, int sendRate, List<String> faults, Duration up, Duration down,
                    double roomKillRate, long seed) {
        static Settings fromSystemProperties() {
            return new Settings(
                    Integer.getInteger("cluster-chaos.clients", 8),
                    Integer.getInteger("cluster-chaos.rooms", 3),
                    Integer.getInteger("cluster-chaos.send-rate", 100),
                    List.of(System.getProperty("cluster-chaos.faults", "cut,stop,cut,kill,stop").split(",")),
                    Duration.ofMillis(Long.getLong("cluster-chaos.up-millis", 3000)),
                    Duration.ofMillis(Long.getLong("cluster-chaos.down-millis", 1500)),
                    Double.parseDouble(System.getProperty("cluster-chaos.room-kill-rate", "3")),
                    Long.getLong("cluster-chaos.seed", 13));
        }
    }

    /** One send: who, on which of its sockets, where, what, and when (nanoTime, before the frame went). */
    record Sent(Member from, int socket, int node, String room, String ref, String text, long at) {}

    /**
     * When {@code node} (or every node, -1) could not reach Redis (nanoTime): after the cut or the
     * redis-server's exit, before it was restored. A send made in it must be refused; one made near
     * its end is not judged, since its room may take it only once Redis is back, and then an ack is
     * right; nor one made near its start, since the node may have written it to the connection before
     * it saw the connection go: its outcome unknown, it is sent again until Redis answers.
     */
    record Outage(int node, long from, long until) {
        static final long MARGIN = Duration.ofMillis(500).toNanos();

        boolean covers(Sent s) {
            return (node < 0 || node == s.node()) && s.at() > from + MARGIN && s.at() < until - MARGIN;
        }

        /** Where {@code s} falls in it, for a failure's message. */
        String around(Sent s) {
            return String.format("outage of node %d from %+d ms to %+d ms of the send", node,
                    (from - s.at()) / 1_000_000, (until - s.at()) / 1_000_000);
        }
    }

    /** A room's process killed on a node (its index) at a time (nanoTime). */
    record RoomKill(int node, String room, long at) {}

    /** The faults done, and the reconnects they caused. */
    static final class Tally {
        int cuts;
        int stops;
        int kills;
        int reconnects;
        final AtomicLong roomKills = new AtomicLong();
        final List<RoomKill> roomKillLog = new CopyOnWriteArrayList<>();
        /** Sends made in an outage and acked once it was over, since their room's process was killed meanwhile. */
        long ackedAfterRoomKill;
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the long runs of bench/chaos.sh cluster too
    void acknowledgedMeansStoredOnceAndEveryMemberGetsEveryStoredMessageInOrderThroughCutsStopsAndKills()
            throws Exception {
        Settings settings = Settings.fromSystemProperties();
        Random random = new Random(settings.seed());
        List<Sent> sends = new ArrayList<>();
        List<Outage> outages = new ArrayList<>();
        List<Member> members = new CopyOnWriteArrayList<>();
        Map<Member, List<String>> roomsOf = new ConcurrentHashMap<>();
        List<ConfigurableApplicationContext> nodes = new ArrayList<>();
        List<TcpProxy> proxies = new ArrayList<>();
        Tally tally = new Tally();
        long startedAt = System.nanoTime();
        RedisServer redis = RedisServer.startNew();
        try {
            for (int n = 0; n < 2; n++) {
                proxies.add(TcpProxy.to(redis.port()));
                nodes.add(node(proxies.get(n).redisUrl()));
            }
            List<Integer> ports = new ArrayList<>(List.of(port(nodes.get(0)), port(nodes.get(1))));
            List<Integer> live = new ArrayList<>(List.of(0, 1));
            List<String> rooms = new ArrayList<>();
            for (int r = 0; r < settings.rooms(); r++) {
                rooms.add("chaos-" + r);
            }
            // every room has members on both nodes: client i is on node i % 2, in rooms i and i + 1
            Map<String, String> epochs = new ConcurrentHashMap<>();
            for (int i = 0; i < settings.clients(); i++) {
                Member m = Member.connect(i % 2, ports.get(i % 2), "U" + i);
                members.add(m);
                List<String> mine = List.of(rooms.get(i % rooms.size()), rooms.get((i + 1) % rooms.size()));
                roomsOf.put(m, mine);
                for (String room : mine) {
                    m.join(room, epochs);
                }
            }
            members.forEach(Member::ready);

            // the senders: a fixed rate over all members, a random member and one of its rooms each time
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
            AtomicLong counter = new AtomicLong();
            sender.scheduleAtFixedRate(() -> {
                Member m = members.get(random.nextInt(members.size()));
                List<String> mine = roomsOf.get(m);
                String room = mine.get(random.nextInt(mine.size()));
                long n = counter.incrementAndGet();
                String ref = m.user + "-" + n;
                String text = "t" + n;
                m.sendIfConnected(socket -> {
                    synchronized (sends) {
                        sends.add(new Sent(m, socket, m.node, room, ref, text, System.nanoTime()));
                    }
                    return "{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + text + "\",\"ref\":\"" + ref + "\"}";
                });
            }, 0, 1_000_000L / settings.sendRate(), TimeUnit.MICROSECONDS);

            // beside the faults, room processes of the live nodes killed at random (invisible to members, §1)
            List<Node> liveRuntimes = new CopyOnWriteArrayList<>(List.of(nodes.get(0).getBean(Node.class),
                    nodes.get(1).getBean(Node.class)));
            Map<Node, Integer> indexOf = new ConcurrentHashMap<>(Map.of(liveRuntimes.get(0), 0, liveRuntimes.get(1), 1));
            ScheduledExecutorService roomKiller = Executors.newSingleThreadScheduledExecutor();
            Random killRandom = new Random(settings.seed() + 1);
            if (settings.roomKillRate() > 0) {
                roomKiller.scheduleAtFixedRate(() -> {
                    Node runtime = liveRuntimes.get(killRandom.nextInt(liveRuntimes.size()));
                    try {
                        String room = rooms.get(killRandom.nextInt(rooms.size()));
                        runtime.whereis(Room.processName(room)).ifPresent(pid -> {
                            runtime.exit(pid, ExitReason.KILL);
                            tally.roomKills.incrementAndGet();
                            tally.roomKillLog.add(new RoomKill(indexOf.get(runtime), room, System.nanoTime()));
                        });
                    } catch (RuntimeException e) {
                        // a node on its way down: the next kill picks from the live ones
                    }
                }, 500, (long) (1e6 / settings.roomKillRate()), TimeUnit.MICROSECONDS);
            }

            // the chaos: all well until as many sends are acked as the rate makes in `up`, then a
            // fault until as many are refused as it makes in `down`: phases by what the clients
            // saw, so a slow machine still gets its faults' worth
            long upAnswers = settings.sendRate() * settings.up().toMillis() / 1000;
            long downAnswers = settings.sendRate() * settings.down().toMillis() / 1000;
            for (String fault : settings.faults()) {
                awaitMore(members, "ack", upAnswers, "acks before " + fault);
                switch (fault) {
                    case "cut" -> {
                        int n = live.get(tally.cuts++ % live.size());
                        proxies.get(n).cut();
                        long from = System.nanoTime();
                        awaitMore(members, "error", downAnswers / 2, "sends refused by node " + n + " cut off");
                        outages.add(new Outage(n, from, System.nanoTime()));
                        proxies.get(n).restore();
                    }
                    case "stop" -> {
                        tally.stops++;
                        redis.stopSaving();
                        long from = System.nanoTime();
                        awaitMore(members, "error", downAnswers, "sends refused with Redis down");
                        outages.add(new Outage(-1, from, System.nanoTime()));
                        redis.start();
                    }
                    case "kill" -> {
                        // a fresh node first, as an orchestrator replaces a dead one: two live nodes after each kill
                        proxies.add(TcpProxy.to(redis.port()));
                        nodes.add(node(proxies.getLast().redisUrl()));
                        ports.add(port(nodes.getLast()));
                        live.add(nodes.size() - 1);
                        int n = live.remove(0);
                        indexOf.put(nodes.getLast().getBean(Node.class), nodes.size() - 1);
                        liveRuntimes.add(nodes.getLast().getBean(Node.class));
                        liveRuntimes.remove(nodes.get(n).getBean(Node.class));
                        tally.kills++;
                        proxies.get(n).cut(); // dead to Redis first: nothing of its shutdown reaches it
                        outages.add(new Outage(n, System.nanoTime(), Long.MAX_VALUE));
                        nodes.get(n).close();
                        // its members over the live nodes in turn, so rooms keep members on both
                        int next = 0;
                        for (Member m : members) {
                            if (m.node == n) {
                                int to = live.get(next++ % live.size());
                                m.reconnect(to, ports.get(to), roomsOf.get(m), epochs);
                                tally.reconnects++;
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException("no such fault: " + fault);
                }
            }
            awaitMore(members, "ack", upAnswers, "acks after the last fault");
            roomKiller.shutdown();
            assertThat(roomKiller.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            sender.shutdown();
            assertThat(sender.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            List<Sent> sent;
            synchronized (sends) {
                sent = List.copyOf(sends);
            }

            // every send on a live socket answered (an unavailable comes at once, an ack once the room has caught up)
            settle("every send answered", () -> sent.stream()
                    .allMatch(x -> !x.from().answersTo(x.ref()).isEmpty() || x.from().lost(x.socket())));

            // every member catches up on every stored message of its rooms
            settle("every member has every stored message", () -> {
                for (Member m : members) {
                    for (String room : roomsOf.get(m)) {
                        if (m.seqs(room).size() < (Long) redis.call("XLEN", streamKey(room))) {
                            return false;
                        }
                    }
                }
                return true;
            });
            // the ground truth: each room's stream in Redis
            Map<String, List<JsonNode>> stored = new LinkedHashMap<>();
            for (String room : rooms) {
                stored.put(room, stream(redis, room));
            }
            // a node that never had a member of these rooms: its history comes from Redis alone
            nodes.add(node(redis.url()));
            live.add(nodes.size() - 1);
            ports.add(port(nodes.get(nodes.size() - 1)));
            List<Integer> livePorts = live.stream().map(ports::get).toList();
            String report = check(settings, sent, outages, members, roomsOf, stored, epochs, livePorts, tally, startedAt);
            for (String room : rooms) {
                // nothing stored after its send was answered (a command a client retried on its own would be)
                assertThat(stream(redis, room)).as("%s's stream after the checks", room).isEqualTo(stored.get(room));
            }
            System.out.println(report);
            Path out = Path.of(System.getProperty("cluster-chaos.report", "target/chaos/cluster-report.txt"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
        } finally {
            members.forEach(Member::close);
            for (int n = nodes.size() - 1; n >= 0; n--) {
                nodes.get(n).close();
            }
            proxies.forEach(TcpProxy::close);
            redis.close();
        }
    }

    /** Waits for the run to settle; if it never does, the check that follows says precisely what is missing. */
    /** Waits until the members, together, have {@code more} frames of {@code type} than now. */
    private static void awaitMore(List<Member> members, String type, long more, String what) {
        long before = members.stream().mapToLong(m -> m.count(type)).sum();
        Waits.eventually().alias(what).until(() -> members.stream().mapToLong(m -> m.count(type)).sum() >= before + more);
    }

    private static void settle(String what, java.util.concurrent.Callable<Boolean> done) {
        try {
            Waits.eventually().alias(what).until(done);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.out.println("not settled: " + what);
        }
    }

    /** Checks every rule of the class comment; returns the run's figures. */
    private static String check(Settings settings, List<Sent> sends, List<Outage> outages, List<Member> members,
                                Map<Member, List<String>> roomsOf, Map<String, List<JsonNode>> stored,
                                Map<String, String> epochs, List<Integer> ports, Tally tally, long startedAt) {
        // the store: seqs 1..last, once each; each text at most once
        Map<String, JsonNode> byText = new HashMap<>();
        for (Map.Entry<String, List<JsonNode>> e : stored.entrySet()) {
            List<JsonNode> frames = e.getValue();
            for (int i = 0; i < frames.size(); i++) {
                JsonNode f = frames.get(i);
                assertThat(f.get("seq").asLong()).as("seq %d of %s's stream", i + 1, e.getKey()).isEqualTo(i + 1);
                JsonNode twice = byText.put(f.get("text").asString(), f);
                assertThat(twice).as("a send stored twice: %s and %s", twice, f).isNull();
            }
        }
        long acked = 0;
        long unavailable = 0;
        long unanswered = 0;
        long unavailableInOutage = 0;
        long sentInOutage = 0;
        for (Sent s : sends) {
            List<JsonNode> answers = s.from().answersTo(s.ref());
            if (answers.isEmpty()) {
                assertThat(s.from().lost(s.socket())).as("%s unanswered on a socket that lives (stored: %s)", s,
                        byText.get(s.text())).isTrue();
                unanswered++; // its socket died with its node: stored or not, no rule is broken either way
                continue;
            }
            assertThat(answers).as("the answers to %s", s).hasSize(1);
            JsonNode answer = answers.get(0);
            JsonNode storedFrame = byText.get(s.text());
            Outage outage = outages.stream().filter(o -> o.covers(s)).findFirst().orElse(null);
            boolean inOutage = outage != null;
            boolean ack = answer.get("type").asString().equals("ack");
            if (inOutage && ack && tally.roomKillLog.stream().anyMatch(k -> k.node() == s.node()
                    && k.room().equals(s.room()) && k.at() > s.at() && k.at() < outage.until())) {
                // its room's process was killed before it answered: the next one cannot know whether
                // the one that died handed it to Redis, so it stores it once Redis is back (an ack
                // is then the truth; unavailable might not be): not judged by when it was sent
                inOutage = false;
                tally.ackedAfterRoomKill++;
            }
            if (inOutage) {
                sentInOutage++;
            }
            if (ack) {
                acked++;
                assertThat(inOutage).as("%s acked %s while its node could not reach Redis (%s; kills of its room there at %s ms of the send)",
                        s, answer, outage == null ? "" : outage.around(s), tally.roomKillLog.stream()
                                .filter(k -> k.node() == s.node() && k.room().equals(s.room()))
                                .map(k -> (k.at() - s.at()) / 1_000_000).filter(d -> Math.abs(d) < 5000).toList())
                        .isFalse();
                assertThat(storedFrame).as("%s acked %s but not stored", s, answer).isNotNull();
                assertThat(storedFrame.get("seq").asLong()).as("the seq of %s", s).isEqualTo(answer.get("seq").asLong());
                assertThat(storedFrame.get("room").asString()).isEqualTo(s.room());
                assertThat(storedFrame.get("from").asString()).isEqualTo(s.from().user);
            } else {
                assertThat(answer.get("code").asString()).as("the error for %s", s).isEqualTo("unavailable");
                unavailable++;
                if (inOutage) {
                    unavailableInOutage++;
                }
                assertThat(storedFrame).as("%s answered %s, yet stored", s, answer).isNull();
            }
        }
        assertThat(sentInOutage).as("sends while a node could not reach Redis: the test must make some").isPositive();
        assertThat(unavailableInOutage).isEqualTo(sentInOutage);
        assertThat(acked).as("acked sends").isPositive();

        // every member: every stored message of its rooms once, in seq order, with the stored text
        long deliveries = 0;
        for (Member m : members) {
            assertThat(m.closed()).as("%s's socket", m.user).isNotDone();
            assertThat(m.unexpected()).as("%s's frames other than joined, message, ack, presence, unavailable", m.user).isEmpty();
            for (String room : roomsOf.get(m)) {
                List<JsonNode> got = m.seqs(room);
                List<JsonNode> all = stored.get(room);
                assertThat(got).as("%s's frames of %s: %s; catch-ups %s", m.user, room, firstDeviation(got), m.catchUps(room)).hasSize(all.size());
                for (int i = 0; i < got.size(); i++) {
                    JsonNode f = got.get(i);
                    assertThat(f.get("seq").asLong()).as("%s's %d-th frame of %s: %s", m.user, i + 1, room, f).isEqualTo(i + 1);
                    if (f.get("type").asString().equals("message")) {
                        assertThat(f.get("text").asString()).as("seq %d of %s", i + 1, room)
                                .isEqualTo(all.get(i).get("text").asString());
                    }
                }
                deliveries += got.size();
            }
        }

        // every live node's history is the stream, under the epoch the members joined
        for (int port : ports) {
            for (Map.Entry<String, List<JsonNode>> e : stored.entrySet()) {
                List<JsonNode> history = history(port, e.getKey(), epochs.get(e.getKey()));
                assertThat(history).as("node :%d's history of %s", port, e.getKey()).isEqualTo(e.getValue());
            }
        }

        long storedCount = stored.values().stream().mapToLong(List::size).sum();
        return String.format("cluster chaos: %d clients, %d rooms, %d msg/s, faults %s (down %d ms, up %d ms), seed %d%n"
                        + "cuts %d, stops %d, kills %d, reconnects %d, room processes killed %d (%.1f/s;"
                        + " %d sends of an outage acked after it, their room killed first)%n"
                        + "sends %d: acked %d, unavailable %d (%d of them sent while their node could not reach Redis,"
                        + " all %d such answered sends), unanswered on killed sockets %d%n"
                        + "stored %d (by room %s), deliveries %d, lost 0, duplicates 0, out of order 0; took %.1f s%n",
                settings.clients(), settings.rooms(), settings.sendRate(), String.join(",", settings.faults()),
                settings.down().toMillis(), settings.up().toMillis(), settings.seed(),
                tally.cuts, tally.stops, tally.kills, tally.reconnects, tally.roomKills.get(), settings.roomKillRate(), tally.ackedAfterRoomKill,
                sends.size(), acked, unavailable, unavailableInOutage, sentInOutage, unanswered,
                storedCount, stored.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(),
                deliveries, (System.nanoTime() - startedAt) / 1e9);
    }

    // ---------------------------------------------------------------- the cluster

    /**
     * For a failure's message: where a member's frames of a room first leave seqs 1, 2, 3…, with the
     * frames around it (a catch-up's history entries look like messages: {@link Member#catchUps} says
     * where each catch-up began).
     */
    static String firstDeviation(List<JsonNode> got) {
        for (int i = 0; i < got.size(); i++) {
            if (got.get(i).get("seq").asLong() != i + 1) {
                return "the " + (i + 1) + "-th frame is seq " + got.get(i).get("seq").asLong() + "; around it: "
                        + got.subList(Math.max(0, i - 4), Math.min(got.size(), i + 4));
            }
        }
        return "seqs 1.." + got.size() + " in order";
    }

    static ConfigurableApplicationContext node(String redisUrl) {
        // as ChaosTest: rooms may be killed as often as the run likes (healing is tested, not escalation)
        return TestCluster.node(redisUrl, "mailroom.chat.history-size=100000", "logging.level.io.mailroom=WARN",
                "logging.level.io.lettuce=WARN", "mailroom.rooms.max-restarts=100000000", "mailroom.rooms.within-seconds=1");
    }

    static int port(ConfigurableApplicationContext context) {
        return TestCluster.port(context);
    }

    static String streamKey(String room) {
        return "mailroom:{room:" + room + "}:log"; // RedisRoomOrder's key of the room's stream
    }

    /** A room's messages as Redis stores them: the frames of its stream, oldest first. */
    @SuppressWarnings("unchecked")
    static List<JsonNode> stream(RedisServer redis, String room) {
        List<Object> entries = (List<Object>) redis.call("XRANGE", streamKey(room), "-", "+");
        List<JsonNode> frames = new ArrayList<>();
        for (Object entry : entries) {
            List<Object> fields = (List<Object>) ((List<Object>) entry).get(1);
            frames.add(ChaosDriver.JSON.readTree((String) fields.get(1)));
        }
        return frames;
    }

    /** A node's whole history of a room through REST, paging on; its epoch must be {@code epoch}. */
    static List<JsonNode> history(int port, String room, String epoch) {
        List<JsonNode> frames = new ArrayList<>();
        long since = 0;
        while (true) {
            try {
                var response = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/rooms/" + room + "/messages?since=" + since + "&limit=1000")).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("history of %s: %s", room, response.body()).isEqualTo(200);
                assertThat(response.headers().firstValue("Mailroom-Epoch")).as("epoch of %s", room).contains(epoch);
                JsonNode page = ChaosDriver.JSON.readTree(response.body());
                page.forEach(frames::add);
                if (page.isEmpty()) {
                    return frames;
                }
                since = page.get(page.size() - 1).get("seq").asLong();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    // ---------------------------------------------------------------- a member

    /**
     * One chat user: every frame it receives, in arrival order, over all its sockets. It stays on
     * its node; when that node is killed it reconnects to a survivor with its resume token and
     * joins its rooms again with {@code since} its last seq there.
     */
    static final class Member implements AutoCloseable {
        final String user;
        /** The node it is on now. */
        volatile int node;
        private final List<JsonNode> frames = new ArrayList<>(); // guarded by this
        private final Map<String, List<JsonNode>> byRef = new HashMap<>(); // guarded by this
        /** Its connections, the current one last. */
        private final List<Connection> sockets = new ArrayList<>(); // guarded by this
        private String token; // guarded by this
        /** Connected and in its rooms: sends may go. */
        private volatile boolean ready;

        private Member(String user) {
            this.user = user;
        }

        static Member connect(int node, int port, String user) {
            Member m = new Member(user);
            m.open(node, port);
            return m;
        }

        /** In its rooms: the senders may pick it. */
        void ready() {
            ready = true;
        }

        private void open(int node, int port) {
            String resume;
            Connection socket;
            synchronized (this) {
                resume = token;
                socket = new Connection(sockets.size());
                sockets.add(socket);
            }
            String query = "?user=" + user + (resume == null ? "" : "&resume=" + URLEncoder.encode(resume, StandardCharsets.UTF_8));
            int welcomed = count("welcome");
            HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/chat" + query), socket).join();
            Waits.eventually().alias(user + " welcomed").until(() -> count("welcome") > welcomed);
            this.node = node;
        }

        /** Joins {@code room}; its epoch must be the one every member of it was told. */
        void join(String room, Map<String, String> epochs) {
            join(room, null, epochs);
        }

        private void join(String room, Long since, Map<String, String> epochs) {
            String request = "{\"type\":\"join\",\"room\":\"" + room + "\""
                    + (since == null ? "" : ",\"since\":" + since) + "}";
            JsonNode joined = request(request, "joined");
            String epoch = joined.get("epoch").asString();
            assertThat(epochs.computeIfAbsent(room, r -> epoch)).as("%s's epoch for %s", user, room).isEqualTo(epoch);
        }

        /** Its node was killed: on to {@code port} with its token, and into its rooms from where it stood. */
        void reconnect(int node, int port, List<String> rooms, Map<String, String> epochs) {
            ready = false;
            Waits.eventually().alias(user + "'s socket closed by the kill").until(() -> closed().isDone());
            open(node, port);
            for (String room : rooms) {
                List<JsonNode> seen = seqs(room);
                join(room, seen.isEmpty() ? 0 : seen.get(seen.size() - 1).get("seq").asLong(), epochs);
            }
            ready = true;
        }

        /** Sends the frame {@code make} writes for the current socket, unless that socket is gone. */
        synchronized void sendIfConnected(java.util.function.IntFunction<String> make) {
            Connection socket = sockets.get(sockets.size() - 1);
            if (ready && !socket.closed.isDone()) {
                socket.send(make.apply(socket.index));
            }
        }

        /** The socket numbered {@code index} went before all its answers came. */
        synchronized boolean lost(int index) {
            return sockets.get(index).closed.isDone();
        }

        synchronized CompletableFuture<Integer> closed() {
            return sockets.get(sockets.size() - 1).closed;
        }

        /** Sends a request and waits for the answer of {@code type}. */
        JsonNode request(String text, String type) {
            int before = count(type);
            Connection socket;
            synchronized (this) {
                socket = sockets.get(sockets.size() - 1);
            }
            socket.send(text);
            Waits.eventually().alias(user + ": " + type).until(() -> count(type) > before);
            synchronized (this) {
                return frames.stream().filter(f -> f.get("type").asString().equals(type)).skip(before).findFirst().orElseThrow();
            }
        }

        private synchronized void received(JsonNode f) {
            frames.add(f);
            if (f.has("ref")) {
                byRef.computeIfAbsent(f.get("ref").asString(), r -> new ArrayList<>(1)).add(f);
            }
            if (f.get("type").asString().equals("welcome")) {
                token = f.get("session").asString();
            }
        }

        synchronized int count(String type) {
            return (int) frames.stream().filter(f -> f.get("type").asString().equals(type)).count();
        }

        synchronized List<JsonNode> answersTo(String ref) {
            return List.copyOf(byRef.getOrDefault(ref, List.of()));
        }

        /** The room's {@code message} and {@code ack} frames, and a catch-up's {@code history}, in arrival order. */
        synchronized List<JsonNode> seqs(String room) {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode f : frames) {
                if (!f.has("room") || !f.get("room").asString().equals(room)) {
                    continue;
                }
                if (f.has("seq")) {
                    out.add(f);
                } else if (f.get("type").asString().equals("joined") && f.has("history")) {
                    f.get("history").forEach(out::add);
                }
            }
            return out;
        }

        /** For a failure's message: where in {@link #seqs} each catch-up's history begins, and what it holds. */
        synchronized List<String> catchUps(String room) {
            List<String> out = new ArrayList<>();
            int at = 0;
            for (JsonNode f : frames) {
                if (!f.has("room") || !f.get("room").asString().equals(room)) {
                    continue;
                }
                if (f.has("seq")) {
                    at++;
                } else if (f.get("type").asString().equals("joined") && f.has("history")) {
                    JsonNode h = f.get("history");
                    out.add("from the " + (at + 1) + "-th: " + (h.isEmpty() ? "none"
                            : "seqs " + h.get(0).get("seq").asLong() + ".." + h.get(h.size() - 1).get("seq").asLong()));
                    at += h.size();
                }
            }
            return out;
        }

        synchronized List<JsonNode> unexpected() {
            return frames.stream().filter(f -> switch (f.get("type").asString()) {
                case "welcome", "joined", "message", "ack", "presence" -> false;
                case "error" -> !f.get("code").asString().equals("unavailable");
                default -> true;
            }).toList();
        }

        @Override
        public void close() {
            Connection socket;
            synchronized (this) {
                socket = sockets.isEmpty() ? null : sockets.get(sockets.size() - 1);
            }
            WebSocket w = socket == null ? null : socket.ws;
            if (w != null && !w.isOutputClosed()) {
                w.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }

        /** One of the member's WebSocket connections. */
        final class Connection implements WebSocket.Listener {
            final int index;
            final CompletableFuture<Integer> closed = new CompletableFuture<>();
            private final StringBuilder partial = new StringBuilder();
            /** Sends in order: the JDK's WebSocket allows one outstanding send at a time. */
            private CompletableFuture<?> sending = CompletableFuture.completedFuture(null); // guarded by this
            private volatile WebSocket ws;

            Connection(int index) {
                this.index = index;
            }

            @Override
            public void onOpen(WebSocket webSocket) {
                ws = webSocket;
                webSocket.request(1);
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    JsonNode f = ChaosDriver.JSON.readTree(partial.toString());
                    partial.setLength(0);
                    received(f);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(1006);
            }

            synchronized void send(String text) {
                sending = sending.thenCompose(x -> ws.sendText(text, true));
            }
        }
    }
}
