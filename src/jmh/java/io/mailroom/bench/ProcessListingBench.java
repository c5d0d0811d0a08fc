package io.mailroom.bench;

import io.mailroom.observe.ObserveProperties;
import io.mailroom.observe.ProcessesEndpoint;
import io.mailroom.observe.metrics.ProcessCensus;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.SpawnOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code GET /actuator/processes} and the metrics census over {@code processes} idle processes
 * (issue 5: the listing answers in well under a second with 1,000,000): the endpoint's operation
 * called directly (no HTTP, no JSON), with the largest limit, sorted by mailbox and by
 * reductions, filtered by type; and one census scan (what a scrape costs at most once a second).
 *
 * <p>Run on its own: {@code bench/run.sh 'ProcessListingBench'}. Results in docs/observability.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@State(Scope.Benchmark)
public class ProcessListingBench {

    @Param({"1000000"})
    public int processes;

    private Node node;
    private ProcessesEndpoint endpoint;
    private ProcessCensus census;

    @Setup(Level.Trial)
    public void start() {
        node = Node.start();
        SpawnOptions idle = SpawnOptions.ofType("idle");
        for (int i = 0; i < processes; i++) {
            node.spawn(Behaviors.ignore(), idle);
        }
        endpoint = new ProcessesEndpoint(node, new ObserveProperties(Duration.ofSeconds(1), 60, 200, 200, 1000));
        census = new ProcessCensus(node, 0);
    }

    @Benchmark
    public Map<String, Object> top1000ByMailbox() {
        return endpoint.processes(null, "mailbox", "1000");
    }

    @Benchmark
    public Map<String, Object> top1000ByReductions() {
        return endpoint.processes(null, "reductions", "1000");
    }

    @Benchmark
    public Map<String, Object> top50OfAType() {
        return endpoint.processes("idle", "mailbox", "50");
    }

    @Benchmark
    public ProcessCensus.Snapshot censusScan() {
        return census.snapshot();
    }

    @TearDown(Level.Trial)
    public void stop() {
        node.shutdown();
    }
}
