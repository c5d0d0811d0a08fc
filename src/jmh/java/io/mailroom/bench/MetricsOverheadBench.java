package io.mailroom.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mailroom.observe.metrics.RuntimeMetrics;
import io.mailroom.observe.metrics.SupervisorMetrics;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the runtime's metrics to the scheduler (issue 5: within 5%): message throughput of
 * {@value #PAIRS} ping-pong pairs with {@code metrics=off} (no meters) and {@code metrics=on} (the
 * app's {@link RuntimeMetrics} and {@link SupervisorMetrics} on a Prometheus registry, scraped
 * every {@value #SCRAPE_MILLIS} ms by a background thread, 50 times as often as
 * deploy/prometheus does). {@value #IDLE} idle processes sit in the table meanwhile, so each
 * scrape's census scan has real work.
 *
 * <p>Not one of the W* comparison workloads: run it on its own,
 * {@code bench/run.sh 'MetricsOverheadBench'}, or with JMH's main:
 * {@code java -cp <bench class path> org.openjdk.jmh.Main MetricsOverheadBench}. Results in
 * docs/observability.md.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class MetricsOverheadBench {
    static final int PAIRS = 100;
    static final int TRIPS = 1000;
    static final int IDLE = 100_000;
    static final long SCRAPE_MILLIS = 100;

    @Param({"off", "on"})
    public String metrics;

    private Node node;
    private final List<Pid<Object>> idle = new ArrayList<>();
    private final List<Pid<Ball>> pingers = new ArrayList<>();
    private final List<Pid<Ball>> pongers = new ArrayList<>();
    private volatile CountDownLatch done;
    private volatile boolean scraping;
    private Thread scraper;

    record Ball(Pid<Ball> from, int left) {}

    @Setup(Level.Trial)
    public void start() {
        node = Node.start();
        for (int i = 0; i < IDLE; i++) {
            idle.add(node.spawn(Behaviors.ignore(), SpawnOptions.ofType("idle")));
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
        for (int i = 0; i < PAIRS; i++) {
            pingers.add(node.spawn(pinger, SpawnOptions.ofType("pinger")));
            pongers.add(node.spawn(ponger, SpawnOptions.ofType("ponger")));
        }
        if ("on".equals(metrics)) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new RuntimeMetrics(node, 1000, java.util.List.of("process")).bindTo(registry);
            new SupervisorMetrics(registry, List.of("root", "rooms", "sessions", "counters"));
            scraping = true;
            scraper = Thread.ofPlatform().daemon().name("bench-scraper").start(() -> {
                long bytes = 0;
                while (scraping) {
                    bytes += registry.scrape().length();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SCRAPE_MILLIS));
                }
                if (bytes == 0) {
                    throw new IllegalStateException("nothing scraped");
                }
            });
        }
    }

    /** One round: every pair plays {@value #TRIPS} round trips; a message is one op. */
    @Benchmark
    @OperationsPerInvocation(PAIRS * TRIPS * 2)
    public void pingPong() throws InterruptedException {
        done = new CountDownLatch(PAIRS);
        for (int i = 0; i < PAIRS; i++) {
            pingers.get(i).send(new Ball(pongers.get(i), TRIPS));
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("ping-pong did not finish");
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        scraping = false;
        if (scraper != null) {
            scraper.join();
        }
        idle.forEach(p -> node.exit(p, ExitReason.KILL));
        node.shutdown();
    }
}
