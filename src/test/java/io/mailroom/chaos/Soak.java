package io.mailroom.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The soak (issue 13, {@code bench/soak.sh}): chat clients at a moderate steady rate against a
 * server in another JVM, for hours, with no kills; every 10 s one sample of the server (RSS and
 * threads from /proc, heap after a full GC through {@code jcmd GC.run} and the actuator's
 * {@code jvm_memory_used_bytes}, live processes from {@code mailroom_processes}) and of the
 * clients (p50/p99 of live delivery latency in that window, messages acked). Writes the samples as
 * CSV and an HTML report with inline SVG charts (no scripts, nothing fetched).
 *
 * <p>Arguments: {@code port serverPid seconds clients rooms sendRate out.csv out.html}.
 */
public final class Soak {
    private static final Duration SAMPLE = Duration.ofSeconds(10);

    record Sample(double minutes, double rssMb, double heapMb, int threads, int processes, double p50, double p99,
                  long acked, long reconnects) {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        long serverPid = Long.parseLong(args[1]);
        long seconds = Long.parseLong(args[2]);
        int clientCount = Integer.parseInt(args[3]);
        int roomCount = Integer.parseInt(args[4]);
        double sendRate = Double.parseDouble(args[5]);
        Path csv = Path.of(args[6]);
        Path html = Path.of(args[7]);

        ChaosDriver.Shared shared = new ChaosDriver.Shared(port);
        List<ChaosClient> clients = new ArrayList<>();
        for (int i = 0; i < clientCount; i++) {
            clients.add(new ChaosClient("soak" + i, List.of("soak" + (i % roomCount), "soak" + ((i + roomCount / 2) % roomCount)),
                    shared));
        }
        clients.forEach(ChaosClient::connect);
        long connectBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!clients.stream().allMatch(ChaosClient::settled)) {
            if (System.nanoTime() > connectBy) {
                throw new IllegalStateException("clients did not all connect and join within 120 s");
            }
            TimeUnit.MILLISECONDS.sleep(50); // a command-line driver, not a test: waiting for the start is fine
        }
        Random random = new Random(13);
        shared.timers.scheduleAtFixedRate(() -> {
            ChaosClient c = clients.get(random.nextInt(clients.size()));
            c.send(c.rooms().get(random.nextInt(c.rooms().size())));
        }, 0, (long) (1e9 / sendRate), TimeUnit.NANOSECONDS);

        Files.writeString(csv, "minutes,rss_mb,heap_after_gc_mb,threads,processes,p50_ms,p99_ms,acked,reconnects\n");
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        CountDownLatch over = new CountDownLatch(1);
        shared.timers.schedule(over::countDown, seconds, TimeUnit.SECONDS);
        while (!over.await(SAMPLE.toMillis(), TimeUnit.MILLISECONDS)) {
            LatencyHistogram window = shared.swapDeliveryLatency();
            Sample s = sample(shared, serverPid, (System.nanoTime() - start) / 60e9, window);
            samples.add(s);
            Files.writeString(csv, String.format(Locale.ROOT, "%.2f,%.1f,%.1f,%d,%d,%.2f,%.2f,%d,%d%n", s.minutes(), s.rssMb(),
                    s.heapMb(), s.threads(), s.processes(), s.p50(), s.p99(), s.acked(), s.reconnects()),
                    java.nio.file.StandardOpenOption.APPEND);
        }
        clients.forEach(ChaosClient::close);
        String problems = String.join("; ", shared.checker.problems());
        Files.writeString(html, SoakReport.html(samples, String.format(Locale.ROOT,
                "%d clients in %d rooms (2 each), %.0f messages/s, %s; %d messages acked, %d live deliveries, "
                        + "duplicates %d, out of order %d, reconnects %d%s",
                clientCount, roomCount, sendRate, Instant.now(), shared.checker.acks.sum(), shared.checker.liveDeliveries.sum(),
                shared.checker.duplicates.sum(), shared.checker.outOfOrder.sum(), shared.reconnects.sum(),
                problems.isEmpty() ? "" : "; problems: " + problems)));
        shared.close();
        System.exit(0);
    }

    private static Sample sample(ChaosDriver.Shared shared, long pid, double minutes, LatencyHistogram window)
            throws IOException, InterruptedException {
        double rss = 0;
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        new ProcessBuilder(System.getProperty("java.home") + "/bin/jcmd", Long.toString(pid), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        String metrics = shared.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + shared.port + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
        double heap = 0;
        int processes = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                heap += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) / (1 << 20);
            } else if (line.startsWith("mailroom_processes{")) {
                processes += (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return new Sample(minutes, rss, heap, threads, processes, window.quantileMillis(0.5), window.quantileMillis(0.99),
                shared.checker.acks.sum(), shared.reconnects.sum());
    }
}
