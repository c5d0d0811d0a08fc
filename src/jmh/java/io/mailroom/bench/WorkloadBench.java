package io.mailroom.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The JMH lifecycle shared by every workload: one runtime (a Mailroom {@code Node}, a Pekko
 * {@code ActorSystem}, or nothing for virtual threads) per fork, a fresh workload per iteration,
 * and one invocation per iteration that does the whole workload (single-shot time).
 *
 * <p>Besides JMH's wall-clock score, it records the CPU time the whole JVM used during each
 * measured invocation (all threads: runtime, GC, JIT) and, with {@code -Dbench.out=DIR}, writes the
 * mean to {@code DIR/cpu/<benchmark>-<impl>.txt}: on a shared, loaded machine CPU time is the
 * steadier measure of what a workload costs.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4)
@Measurement(iterations = 8)
@Fork(1)
@State(Scope.Benchmark)
public abstract class WorkloadBench {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @Param({Runtimes.MAILROOM, Runtimes.PEKKO, Runtimes.VTHREADS})
    public String impl;

    protected Runtimes runtimes;
    protected Workload workload;

    private String benchmark;
    private boolean measuring;
    private long cpuAtStart;
    private long cpuTotal;
    private int measured;

    @Setup(Level.Trial)
    public void startRuntime(BenchmarkParams params) {
        benchmark = params.getBenchmark();
        runtimes = Runtimes.start(impl);
    }

    @Setup(Level.Iteration)
    public void prepareWorkload(IterationParams iteration) throws Exception {
        workload = create(runtimes);
        workload.prepare();
        measuring = iteration.getType() == IterationType.MEASUREMENT;
        cpuAtStart = OS.getProcessCpuTime();
    }

    @TearDown(Level.Iteration)
    public void cleanupWorkload() throws Exception {
        long cpu = OS.getProcessCpuTime() - cpuAtStart;
        if (measuring) {
            cpuTotal += cpu;
            measured++;
        }
        workload.cleanup();
        workload = null;
    }

    @TearDown(Level.Trial)
    public void stopRuntime() throws IOException {
        runtimes.close();
        String out = System.getProperty("bench.out");
        if (out != null && measured > 0) {
            Path dir = Path.of(out, "cpu");
            Files.createDirectories(dir);
            String name = benchmark.replace("io.mailroom.bench.", "") + "-" + impl + ".txt";
            Files.writeString(dir.resolve(name),
                    String.format(Locale.ROOT, "%.3f%n", cpuTotal / 1e6 / measured));
        }
    }

    /** The workload for {@code rt.impl}. */
    protected abstract Workload create(Runtimes rt);
}
