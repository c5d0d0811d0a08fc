package io.mailroom.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mailroom.observe.metrics.RuntimeMetrics;
import io.mailroom.observe.metrics.SupervisorMetrics;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link MetricsOverheadBench}'s question answered on a noisy machine: one JVM, one node, rounds
 * of the same ping-pong alternating between metrics off (nobody reads the meters) and on (the
 * app's meters scraped every {@value #SCRAPE_MILLIS} ms), so drift in the machine's load hits both
 * sides alike. Prints the median throughput of each side, statistics of the per-pair ratios, and
 * the CPU the scrapes themselves took (the only work metrics add: nothing runs per message).
 *
 * <pre>java -cp &lt;bench class path&gt; io.mailroom.bench.MetricsOverheadAB [pairs of rounds, default 150]</pre>
 */
public final class MetricsOverheadAB {
    static final int PAIRS = 100;
    static final int TRIPS = 2000;
    static final int IDLE = 100_000;
    static final long SCRAPE_MILLIS = 100;

    record Ball(Pid<Ball> from, int left) {}

    private static volatile CountDownLatch done;
    private static volatile boolean scraping;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        try (Node node = Node.start()) {
            for (int i = 0; i < IDLE; i++) {
                node.spawn(Behaviors.ignore(), SpawnOptions.ofType("idle"));
            }
            Behavior<Ball> ponger = Behaviors.receive((ctx, ball) -> {
                ball.from().send(new Ball(ctx.self(), ball.left()));
                return Behaviors.same();
            });
            Behavior<Ball> pinger = Behaviors.receive((ctx, ball) -> {
                if (ball.left() == 0) {
                    done.countDown();
                } else {
                    ball.from().send(new Ball(ctx.self(), ball.left() - 1));
                }
                return Behaviors.same();
            });
            List<Pid<Ball>> pingers = new ArrayList<>();
            List<Pid<Ball>> pongers = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                pingers.add(node.spawn(pinger, SpawnOptions.ofType("pinger")));
                pongers.add(node.spawn(ponger, SpawnOptions.ofType("ponger")));
            }
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new RuntimeMetrics(node, 1000, java.util.List.of("process")).bindTo(registry);
            new SupervisorMetrics(registry, List.of("root", "rooms", "sessions", "counters"));
            long[] scrapes = new long[1];
            long[] scrapeCpuNanos = new long[1];
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Thread scraper = Thread.ofPlatform().daemon().name("ab-scraper").start(() -> {
                while (true) {
                    if (scraping) {
                        long cpu = threads.getCurrentThreadCpuTime();
                        registry.scrape();
                        scrapeCpuNanos[0] += threads.getCurrentThreadCpuTime() - cpu;
                        scrapes[0]++;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SCRAPE_MILLIS));
                }
            });

            for (int w = 0; w < 20; w++) { // warm-up, both sides
                scraping = (w & 1) == 1;
                round(pingers, pongers);
            }
            double[] off = new double[rounds];
            double[] on = new double[rounds];
            double[] ratio = new double[rounds];
            long scrapesBefore = scrapes[0];
            long cpuBefore = scrapeCpuNanos[0];
            long onNanos = 0;
            for (int r = 0; r < rounds; r++) {
                boolean onFirst = (r & 1) == 1; // alternate the order too
                scraping = onFirst;
                long t0 = System.nanoTime();
                double a = round(pingers, pongers);
                long t1 = System.nanoTime();
                scraping = !onFirst;
                double b = round(pingers, pongers);
                onNanos += onFirst ? t1 - t0 : System.nanoTime() - t1;
                on[r] = onFirst ? a : b;
                off[r] = onFirst ? b : a;
                ratio[r] = on[r] / off[r];
            }
            scraping = false;
            System.out.printf(Locale.ROOT, "rounds: %d pairs, %d messages each, %d idle processes, %d scrapes%n",
                    rounds, PAIRS * TRIPS * 2, IDLE, scrapes[0]);
            System.out.printf(Locale.ROOT, "metrics off: median %.0f msg/s%n", median(off));
            System.out.printf(Locale.ROOT, "metrics on:  median %.0f msg/s%n", median(on));
            double logSum = 0;
            for (double x : ratio) {
                logSum += Math.log(x);
            }
            System.out.printf(Locale.ROOT, "on/off: ratio of medians %.3f; paired ratios: median %.3f, geometric mean %.3f,"
                    + " quartiles %.3f .. %.3f%n", median(on) / median(off), median(ratio), Math.exp(logSum / rounds),
                    quantile(ratio, 0.25), quantile(ratio, 0.75));
            long measuredScrapes = scrapes[0] - scrapesBefore;
            double cpu = (scrapeCpuNanos[0] - cpuBefore) / 1e9;
            System.out.printf(Locale.ROOT, "scraping: %d scrapes, %.1f ms CPU each, %.2f%% of the %d cores' time while"
                    + " metrics were on (%.1f s)%n", measuredScrapes, cpu * 1000 / Math.max(1, measuredScrapes),
                    100 * cpu / (onNanos / 1e9) / Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().availableProcessors(), onNanos / 1e9);
            scraper.interrupt();
        }
    }

    /** One round; messages per second. */
    private static double round(List<Pid<Ball>> pingers, List<Pid<Ball>> pongers) throws InterruptedException {
        done = new CountDownLatch(PAIRS);
        long start = System.nanoTime();
        for (int i = 0; i < PAIRS; i++) {
            pingers.get(i).send(new Ball(pongers.get(i), TRIPS));
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("round did not finish");
        }
        return PAIRS * TRIPS * 2 / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] xs) {
        return quantile(xs, 0.5);
    }

    private static double quantile(double[] xs, double q) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }
}
