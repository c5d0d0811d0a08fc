package io.mailroom.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The WebSocket load generator of docs/benchmarks.md ("Chat over WebSocket"). Drives real
 * connections on loopback ({@link ClientTransport}: Netty's WebSocket client on epoll, or the JDK's), against a server speaking
 * protocol.md §1 (Mailroom, or {@link BaselineChatServer}), and writes what it measured to a
 * properties file. Three scenarios, in this order:
 * <ol>
 * <li>{@code idle}: N clients connect, each joins one of R rooms; server RSS (VmRSS, after a full GC
 *     through jcmd) before and after, divided by the sessions held.</li>
 * <li>{@code load}: n clients in r rooms, S of them (spread evenly over the rooms) each sending at a
 *     fixed rate; latency, deliveries/s and server CPU over the steady window; loss and duplicates
 *     over everything sent.</li>
 * <li>{@code ramp}: the same clients, the senders' rate raised step by step until p99 reaches the
 *     limit or a message is lost; the highest passing step is the sustained rate.</li>
 * </ol>
 * Each message's text is {@code <number in its room> <sender> <intended send nanoTime>}: the
 * generator both sends and receives, so latency is receive nanoTime − the intended send time (a
 * sender that falls behind its schedule counts its lateness too). Every receiver keeps a bit per
 * message number of its room: a second delivery is a duplicate, a missing one a loss; expected
 * deliveries per message are the room's members but the sender, who must get an ack instead.
 *
 * <p>Usage: {@code LoadGen key=value…} (see {@link #main}); {@code LoadGen report a.properties
 * b.properties} prints the side-by-side table.
 */
public final class LoadGen {
    static final PrintStream OUT = System.out;

    // ---- configuration
    final Map<String, String> conf;
    final String label;
    final String[] hosts;
    final int port;
    /** The server's pids: several for a cluster, whose CPU and RSS are summed. */
    final long[] serverPids;
    /** Run with {@code start <key>} and {@code end <key>} around each measured window, if set. */
    final String windowHook;
    final String jcmd;
    final Properties result = new Properties();

    // ---- shared state
    final ClientTransport transport;
    final Recorder latency = new Recorder(3_600_000_000L, 3); // µs, up to an hour
    final LongAdder deliveries = new LongAdder();
    final LongAdder unique = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder unexpected = new LongAdder();
    final LongAdder expected = new LongAdder();
    final LongAdder acks = new LongAdder();
    final LongAdder sent = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder closes = new LongAdder();
    final AtomicInteger errorsPrinted = new AtomicInteger();

    LoadGen(Map<String, String> conf) {
        this.conf = conf;
        this.label = conf.getOrDefault("label", "server");
        this.hosts = conf.getOrDefault("hosts", "127.0.0.1").split(",");
        this.port = Integer.parseInt(conf.getOrDefault("port", "8080"));
        String[] pids = conf.getOrDefault("pid", "0").split(",");
        this.serverPids = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            serverPids[i] = Long.parseLong(pids[i].trim());
        }
        this.windowHook = conf.get("window-hook");
        this.jcmd = conf.getOrDefault("jcmd", "jcmd");
        String client = conf.getOrDefault("client", "netty");
        int threads = Integer.parseInt(conf.getOrDefault("threads", client.equals("jdk") ? "4" : "2"));
        this.transport = ClientTransport.named(client, threads);
    }

    // ---------------------------------------------------------------- clients

    final class Room {
        final String name;
        final List<Client> members = new ArrayList<>();
        final AtomicInteger next = new AtomicInteger();

        Room(String name) {
            this.name = name;
        }
    }

    final class Client implements ClientTransport.Events {
        final int idx;
        final String user;
        final Room room;
        final CompletableFuture<Void> joined = new CompletableFuture<>();
        final BitSet got = new BitSet();
        volatile ClientTransport.Conn conn;
        volatile boolean closed;
        // pacing, for senders
        long interval;
        long due;

        Client(int idx, String prefix, Room room) {
            this.idx = idx;
            this.user = prefix + idx;
            this.room = room;
        }

        @Override
        public void opened(ClientTransport.Conn conn) {
            this.conn = conn;
        }

        @Override
        public void onFrame(String frame) {
            if (frame.startsWith("{\"type\":\"message\"")) {
                long now = System.nanoTime();
                int t = frame.indexOf("\"text\":\"") + 8;
                int end = frame.indexOf('"', t);
                String text = frame.substring(t, end);
                int s1 = text.indexOf(' ');
                int s2 = text.indexOf(' ', s1 + 1);
                int no = Integer.parseInt(text, 0, s1, 10);
                int from = Integer.parseInt(text, s1 + 1, s2, 10);
                long sentAt = Long.parseLong(text, s2 + 1, text.length(), 10);
                deliveries.increment();
                latency.recordValue(Math.max(0, (now - sentAt) / 1000));
                if (from == idx) {
                    unexpected.increment();
                    return;
                }
                synchronized (this) {
                    if (got.get(no)) {
                        duplicates.increment();
                    } else {
                        got.set(no);
                        unique.increment();
                    }
                }
            } else if (frame.startsWith("{\"type\":\"ack\"")) {
                acks.increment();
            } else if (frame.startsWith("{\"type\":\"presence\"")) {
                // membership noise while others join
            } else if (frame.startsWith("{\"type\":\"welcome\"")) {
                conn.sendText("{\"type\":\"join\",\"room\":\"" + room.name + "\"}");
            } else if (frame.startsWith("{\"type\":\"joined\"")) {
                joined.complete(null);
            } else {
                errors.increment();
                if (errorsPrinted.incrementAndGet() <= 5) {
                    OUT.println("  unexpected frame for " + user + ": " + frame.substring(0, Math.min(200, frame.length())));
                }
            }
        }

        @Override
        public void closed(String why) {
            if (!closed) {
                closed = true;
                closes.increment();
                joined.completeExceptionally(new IOException(why));
                if (errorsPrinted.incrementAndGet() <= 5) {
                    OUT.println("  " + user + " closed: " + why);
                }
            }
        }

        /** Sends the room's next message number, stamped with its intended send time. */
        void send(long intendedAt) {
            ClientTransport.Conn w = conn;
            if (w == null || closed) {
                return;
            }
            int no = room.next.getAndIncrement();
            String frame = "{\"type\":\"send\",\"room\":\"" + room.name + "\",\"text\":\"" + no + " " + idx + " "
                    + intendedAt + "\",\"ref\":\"" + no + "\"}";
            expected.add(room.members.size() - 1);
            sent.increment();
            w.sendText(frame);
        }
    }

    /** Connects {@code n} clients named prefix+i, client i in room i % r, each joined; returns them. */
    List<Client> connect(int n, int r, String prefix, String roomPrefix) throws Exception {
        List<Room> rooms = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            rooms.add(new Room(roomPrefix + i));
        }
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Room room = rooms.get(i % r);
            Client c = new Client(i, prefix, room);
            room.members.add(c);
            clients.add(c);
        }
        Semaphore inFlight = new Semaphore(Integer.parseInt(conf.getOrDefault("connect-concurrency", "200")));
        long t0 = System.nanoTime();
        for (Client c : clients) {
            inFlight.acquire();
            int h = c.idx % hosts.length;
            transport.open(hosts[h], port, "/ws/chat?user=" + c.user, c);
            c.joined.whenComplete((v, e) -> inFlight.release());
        }
        for (Client c : clients) {
            try {
                c.joined.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted as not held
            }
        }
        OUT.printf(Locale.ROOT, "  %d clients connected and joined in %.1f s%n", held(clients),
                (System.nanoTime() - t0) / 1e9);
        return clients;
    }

    static int held(List<Client> clients) {
        int held = 0;
        for (Client c : clients) {
            if (!c.closed && c.joined.isDone() && !c.joined.isCompletedExceptionally()) {
                held++;
            }
        }
        return held;
    }

    void disconnect(List<Client> clients) throws InterruptedException {
        for (Client c : clients) {
            ClientTransport.Conn w = c.conn;
            c.closed = true;
            if (w != null) {
                w.abort();
            }
        }
        Thread.sleep(5000);
    }

    // ---------------------------------------------------------------- server probes

    long rssKb() throws IOException {
        long sum = 0;
        for (long pid : serverPids) {
            sum += rssKb(pid);
        }
        return sum;
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS");
    }

    /** The server's utime + stime, in ns (summed over its pids). */
    long serverCpuNs() throws IOException {
        long sum = 0;
        for (long pid : serverPids) {
            String[] f = stat(pid);
            sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // fields 14, 15; CLK_TCK 100
        }
        return sum;
    }

    /** The server's stime alone (the kernel's share: socket writes and reads), in ns. */
    long serverSysNs() throws IOException {
        long sum = 0;
        for (long pid : serverPids) {
            sum += Long.parseLong(stat(pid)[12]) * 10_000_000L;
        }
        return sum;
    }

    /** /proc/<pid>/stat's fields from the third (state) on. */
    static String[] stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** Runs the window hook with {@code phase key}, waiting for it (it only takes snapshots). */
    void hook(String phase, String key) throws Exception {
        if (windowHook != null) {
            new ProcessBuilder(windowHook, phase, key).redirectErrorStream(true).inheritIO().start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
    }

    static long ownCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    void fullGc() throws Exception {
        for (long pid : serverPids) {
            new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        }
        Thread.sleep(2000);
    }

    // ---------------------------------------------------------------- pacing

    /** One thread sends for every sender at {@code rate} msg/s each, staggered; rate 0 pauses. */
    final class Pacer extends Thread {
        final List<Client> senders;
        volatile double rate;
        volatile boolean running = true;

        Pacer(List<Client> senders) {
            super("pacer");
            setDaemon(true);
            setPriority(MAX_PRIORITY);
            this.senders = senders;
        }

        @Override
        public void run() {
            double current = 0;
            PriorityQueue<Client> queue = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
            while (running) {
                double r = rate;
                if (r != current) {
                    current = r;
                    queue.clear();
                    if (r > 0) {
                        long now = System.nanoTime();
                        long interval = (long) (1e9 / r);
                        for (Client c : senders) {
                            c.interval = interval;
                            c.due = now + ThreadLocalRandom.current().nextLong(interval);
                            queue.add(c);
                        }
                    }
                }
                Client c = queue.peek();
                if (c == null) {
                    LockSupport.parkNanos(1_000_000);
                    continue;
                }
                long now = System.nanoTime();
                if (c.due <= now) {
                    queue.poll();
                    c.send(c.due);
                    c.due += c.interval;
                    queue.add(c);
                } else {
                    LockSupport.parkNanos(Math.min(c.due - now, 1_000_000));
                }
            }
        }
    }

    /**
     * Waits until every expected delivery has arrived, or nothing arrived for 5 s, or {@code drain-seconds}
     * (default 90) passed: what is still missing then counts as lost (a backlog the server had not
     * delivered 90 s after the senders stopped counts too).
     */
    long drain() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + intConf("drain-seconds", 90) * 1_000_000_000L;
        long last = -1;
        long quietSince = System.nanoTime();
        Thread.sleep(500);
        while (System.nanoTime() < deadline) {
            long u = unique.sum();
            if (u >= expected.sum() && acks.sum() >= sent.sum()) {
                break;
            }
            if (u != last) {
                last = u;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > 5_000_000_000L) {
                break;
            }
            Thread.sleep(100);
        }
        long missing = expected.sum() - unique.sum();
        OUT.printf(Locale.ROOT, "  drained in %.1f s, %d deliveries missing%n", (System.nanoTime() - start) / 1e9, missing);
        return missing;
    }

    record Window(double seconds, long deliveries, long sent, Histogram latency, double serverCpuNs, double genCpuNs,
                  double serverSysNs) {
        double deliveriesPerSecond() {
            return deliveries / seconds;
        }
    }

    Window measure(String key, double seconds) throws Exception {
        hook("start", key);
        latency.getIntervalHistogram(); // resets
        long d0 = deliveries.sum();
        long s0 = sent.sum();
        long c0 = serverCpuNs();
        long k0 = serverSysNs();
        long g0 = ownCpuNs();
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        Histogram h = latency.getIntervalHistogram();
        long t1 = System.nanoTime();
        Window w = new Window((t1 - t0) / 1e9, deliveries.sum() - d0, sent.sum() - s0, h, serverCpuNs() - c0,
                ownCpuNs() - g0, serverSysNs() - k0);
        hook("end", key);
        return w;
    }

    // ---------------------------------------------------------------- scenarios

    void idle() throws Exception {
        int n = intConf("idle.clients", 19000);
        int r = intConf("idle.rooms", 200);
        OUT.printf("[%s] idle: %d clients in %d rooms%n", label, n, r);
        fullGc();
        long rss0 = rssKb();
        long t0 = System.nanoTime();
        List<Client> clients = connect(n, r, "i", "idle-");
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        // the server's CPU while the sessions sit idle: the first seconds after the last connect, then settled
        int hold = intConf("idle.hold-seconds", 10);
        long c0 = serverCpuNs();
        Thread.sleep(hold * 1000L);
        long c1 = serverCpuNs();
        Thread.sleep(hold * 1000L);
        long c2 = serverCpuNs();
        double firstCores = (c1 - c0) / (hold * 1e9);
        double settledCores = (c2 - c1) / (hold * 1e9);
        OUT.printf(Locale.ROOT, "  server CPU idle: %.3f cores in the first %d s, %.3f cores in the next %d s%n",
                firstCores, hold, settledCores, hold);
        put("idle.cpu.cores.first", firstCores);
        put("idle.cpu.cores.settled", settledCores);
        fullGc();
        long rss1 = rssKb();
        int held = held(clients);
        double perSession = held == 0 ? Double.NaN : (rss1 - rss0) / (double) held;
        OUT.printf(Locale.ROOT, "  held %d of %d; RSS %d → %d MiB: %.1f KiB per session%n", held, n, rss0 / 1024,
                rss1 / 1024, perSession);
        put("idle.clients", n);
        put("idle.rooms", r);
        put("idle.held", held);
        put("idle.connect.seconds", connectSeconds);
        put("idle.rss.before.mib", rss0 / 1024.0);
        put("idle.rss.after.mib", rss1 / 1024.0);
        put("idle.rss.per.session.kib", perSession);
        disconnect(clients);
    }

    void loadAndRamp(boolean load, boolean ramp) throws Exception {
        int n = intConf("load.clients", 2000);
        int r = intConf("load.rooms", 20);
        int s = intConf("load.senders", 200);
        List<Client> clients = connect(n, r, "c", "room-");
        put("load.held", held(clients));
        // senders: the first s clients, i.e. s / r per room (client i is in room i % r)
        List<Client> senders = clients.subList(0, s);
        Pacer pacer = new Pacer(senders);
        pacer.start();
        int membersPerRoom = n / r;
        if (load) {
            double rate = Double.parseDouble(conf.getOrDefault("load.rate", "2.5"));
            int warm = intConf("load.warmup-seconds", 10);
            int steady = intConf("load.seconds", 30);
            OUT.printf(Locale.ROOT, "[%s] load: %d clients in %d rooms, %d senders at %.1f msg/s (%.0f deliveries/s offered)%n",
                    label, n, r, s, rate, s * rate * (membersPerRoom - 1));
            long e0 = expected.sum() - unique.sum();
            long d0 = duplicates.sum() + unexpected.sum();
            pacer.rate = rate;
            Thread.sleep(warm * 1000L);
            Window w = measure("load", steady);
            pacer.rate = 0;
            long lost = drain() - e0;
            long dups = duplicates.sum() + unexpected.sum() - d0;
            report("load", w, lost, dups);
            put("load.rate", rate);
            put("load.offered.per.second", s * rate * (membersPerRoom - 1));
            put("load.server.cpu.us.per.delivery", w.serverCpuNs() / 1000.0 / Math.max(1, w.deliveries()));
        }
        if (ramp) {
            double p99Limit = Double.parseDouble(conf.getOrDefault("ramp.p99-ms", "250"));
            int warm = intConf("ramp.warmup-seconds", 5);
            int steady = intConf("ramp.seconds", 15);
            String[] steps = conf.getOrDefault("ramp.rates", "0.5,1,1.5,2,2.5,3.5,5,7.5,10").split(",");
            put("ramp.best.deliveries.per.second", 0);
            for (String step : steps) {
                double rate = Double.parseDouble(step);
                OUT.printf(Locale.ROOT, "[%s] ramp: %d senders at %.1f msg/s (%.0f deliveries/s offered)%n", label, s, rate,
                        s * rate * (membersPerRoom - 1));
                long e0 = expected.sum() - unique.sum();
                long d0 = duplicates.sum() + unexpected.sum();
                pacer.rate = rate;
                Thread.sleep(warm * 1000L);
                String key = "ramp." + step;
                Window w = measure(key, steady);
                pacer.rate = 0;
                long lost = drain() - e0;
                long dups = duplicates.sum() + unexpected.sum() - d0;
                report(key, w, lost, dups);
                double p99 = w.latency().getValueAtPercentile(99) / 1000.0;
                boolean pass = lost == 0 && dups == 0 && p99 < p99Limit
                        && w.deliveriesPerSecond() >= 0.95 * s * rate * (membersPerRoom - 1);
                if (!pass) {
                    OUT.printf("  step fails (p99 < %.0f ms, no loss, ≥ 95%% of offered)%n", p99Limit);
                    break;
                }
                put("ramp.best.rate", rate);
                put("ramp.best.deliveries.per.second", w.deliveriesPerSecond());
                put("ramp.best.p99.ms", p99);
                put("ramp.best.server.cpu.us.per.delivery", w.serverCpuNs() / 1000.0 / Math.max(1, w.deliveries()));
                put("ramp.best.gen.cpu.percent", 100.0 * w.genCpuNs() / (w.seconds() * 1e9));
                put("ramp.best.server.cpu.percent", 100.0 * w.serverCpuNs() / (w.seconds() * 1e9));
            }
        }
        pacer.running = false;
        disconnect(clients);
    }

    void report(String key, Window w, long lost, long dups) {
        Histogram h = w.latency();
        double p50 = h.getValueAtPercentile(50) / 1000.0;
        double p99 = h.getValueAtPercentile(99) / 1000.0;
        double max = h.getMaxValue() / 1000.0;
        double serverUs = w.serverCpuNs() / 1000.0 / Math.max(1, w.deliveries());
        double serverSysUs = w.serverSysNs() / 1000.0 / Math.max(1, w.deliveries());
        double genPct = 100.0 * w.genCpuNs() / (w.seconds() * 1e9);
        double serverPct = 100.0 * w.serverCpuNs() / (w.seconds() * 1e9);
        OUT.printf(Locale.ROOT, "  %.0f deliveries/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, lost %d, duplicates %d, "
                        + "server CPU %.1f µs/delivery (kernel %.1f; %.0f%% of a core), generator CPU %.0f%% of a core, errors %d, closes %d%n",
                w.deliveriesPerSecond(), p50, p99, max, lost, dups, serverUs, serverSysUs, serverPct, genPct, errors.sum(),
                closes.sum());
        put(key + ".server.sys.us.per.delivery", serverSysUs);
        put(key + ".deliveries.per.second", w.deliveriesPerSecond());
        put(key + ".sends.per.second", w.sent() / w.seconds());
        put(key + ".window.seconds", w.seconds());
        put(key + ".window.sent", w.sent());
        put(key + ".window.deliveries", w.deliveries());
        put(key + ".p50.ms", p50);
        put(key + ".p99.ms", p99);
        put(key + ".max.ms", max);
        put(key + ".lost", lost);
        put(key + ".duplicates", dups);
        put(key + ".server.cpu.us.per.delivery", serverUs);
        put(key + ".server.cpu.percent", serverPct);
        put(key + ".gen.cpu.percent", genPct);
    }

    int intConf(String key, int def) {
        return Integer.parseInt(conf.getOrDefault(key, String.valueOf(def)));
    }

    void put(String key, double value) {
        // a fraction of a core gets three decimals: the idle bars are 0.05 and 0.02 cores
        String format = Math.abs(value) < 1 ? "%.3f" : "%.2f";
        result.setProperty(key, value == Math.rint(value) && Math.abs(value) < 1e15
                ? String.valueOf((long) value) : String.format(Locale.ROOT, format, value));
    }

    // ---------------------------------------------------------------- main

    /**
     * {@code label=NAME port=8080 pid=SERVER_PID[,PID…] hosts=127.0.0.1,127.0.0.2 jcmd=PATH out=FILE
     * scenarios=idle,load,ramp [window-hook=PATH]} and the scenario settings (idle.clients, load.rate,
     * ramp.rates…). Several pids (the nodes of a cluster) are summed; the window hook is run with
     * {@code start <key>} and {@code end <key>} around every measured window (bench/cluster-load.sh
     * takes Redis's and nginx's figures there).
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("report")) {
            report(args);
            return;
        }
        Map<String, String> conf = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            conf.put(a.substring(0, eq), a.substring(eq + 1));
        }
        LoadGen gen = new LoadGen(conf);
        List<String> scenarios = List.of(conf.getOrDefault("scenarios", "idle,load,ramp").split(","));
        gen.result.setProperty("label", gen.label);
        try {
            if (scenarios.contains("idle")) {
                gen.idle();
            }
            if (scenarios.contains("load") || scenarios.contains("ramp")) {
                gen.loadAndRamp(scenarios.contains("load"), scenarios.contains("ramp"));
            }
        } finally {
            gen.put("errors", gen.errors.sum());
            String out = conf.get("out");
            if (out != null) {
                try (var w = Files.newBufferedWriter(Path.of(out))) {
                    gen.result.store(w, "LoadGen " + gen.label);
                }
            }
        }
        System.exit(0);
    }

    /** {@code report mailroom.properties baseline.properties}: the markdown table, side by side. */
    static void report(String[] args) throws IOException {
        List<Properties> ps = new ArrayList<>();
        StringBuilder head = new StringBuilder("| | ");
        StringBuilder rule = new StringBuilder("|---|");
        for (int i = 1; i < args.length; i++) {
            Properties p = new Properties();
            try (var r = Files.newBufferedReader(Path.of(args[i]))) {
                p.load(r);
            }
            ps.add(p);
            head.append(p.getProperty("label")).append(" | ");
            rule.append("---|");
        }
        OUT.println(head.toString().trim());
        OUT.println(rule);
        String[][] rows = {
                {"idle: sessions held (of idle.clients)", "idle.held", "idle.clients"},
                {"idle: connect + join time, s", "idle.connect.seconds"},
                {"idle: server RSS before → after, MiB", "idle.rss.before.mib", "idle.rss.after.mib"},
                {"idle: server RSS per session, KiB", "idle.rss.per.session.kib"},
                {"idle: server CPU, cores, first window / next window after the last connect", "idle.cpu.cores.first", "idle.cpu.cores.settled"},
                {"load: offered deliveries/s", "load.offered.per.second"},
                {"load: deliveries/s (steady window)", "load.deliveries.per.second"},
                {"load: lost / duplicates", "load.lost", "load.duplicates"},
                {"load: latency p50 / p99 / max, ms", "load.p50.ms", "load.p99.ms", "load.max.ms"},
                {"load: server CPU µs per delivery", "load.server.cpu.us.per.delivery"},
                {"load: of which in the kernel, µs", "load.server.sys.us.per.delivery"},
                {"load: server CPU / generator CPU, % of a core", "load.server.cpu.percent", "load.gen.cpu.percent"},
                {"ramp: highest passing rate, msg/s per sender", "ramp.best.rate"},
                {"ramp: highest sustained deliveries/s (p99 < 250 ms, no loss)", "ramp.best.deliveries.per.second"},
                {"ramp: p99 at that rate, ms", "ramp.best.p99.ms"},
                {"ramp: server CPU µs per delivery there", "ramp.best.server.cpu.us.per.delivery"},
                {"ramp: server / generator CPU there, % of a core", "ramp.best.server.cpu.percent", "ramp.best.gen.cpu.percent"},
        };
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("| ").append(row[0]).append(" | ");
            for (Properties p : ps) {
                List<String> vals = new ArrayList<>();
                for (int k = 1; k < row.length; k++) {
                    vals.add(p.getProperty(row[k], "–"));
                }
                String sep = row[0].contains("→") ? " → " : row[0].contains("of idle") ? " of " : " / ";
                line.append(String.join(sep, vals)).append(" | ");
            }
            OUT.println(line.toString().trim());
        }
        // every ramp step, for the record
        for (Properties p : ps) {
            List<String> steps = new ArrayList<>();
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("ramp.") && k.endsWith(".deliveries.per.second") && !k.startsWith("ramp.best")) {
                    steps.add(k.substring(5, k.length() - ".deliveries.per.second".length()));
                }
            }
            steps.sort((a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
            OUT.println();
            OUT.println(p.getProperty("label") + " ramp steps (msg/s per sender: deliveries/s, p50/p99 ms, lost, server µs/delivery, generator % core):");
            for (String st : steps) {
                String k = "ramp." + st + ".";
                OUT.printf("  %s: %s/s, %s/%s ms, lost %s, %s µs, gen %s%%%n", st, p.getProperty(k + "deliveries.per.second"),
                        p.getProperty(k + "p50.ms"), p.getProperty(k + "p99.ms"), p.getProperty(k + "lost"),
                        p.getProperty(k + "server.cpu.us.per.delivery"), p.getProperty(k + "gen.cpu.percent"));
            }
        }
    }
}
