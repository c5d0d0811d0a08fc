package io.mailroom.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * W1: 1,000,000 idle processes. {@code spawn}: the time for the spawn calls to return (Pekko and
 * virtual threads finish starting their actors/threads asynchronously after that; Mailroom has no
 * start work for a plain receive behaviour). {@code stop}: the time from sending each a stop
 * message until every one has ended and left its runtime. The heap each idle process retains is
 * measured by {@link W1Memory}, not here.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class W1SpawnIdle {
    public static final long UNITS = 1_000_000L;
    public static final String UNIT = "processes";
    static final int N = (int) UNITS;

    /** Spawning is measured; stopping them again is the iteration's cleanup. */
    @State(Scope.Benchmark)
    public static class Spawn extends WorkloadBench {
        @Override
        protected Workload create(Runtimes rt) {
            IdleProcesses procs = new IdleProcesses(rt, N);
            return new Workload() {
                @Override
                public void run() {
                    procs.spawnAll();
                }

                @Override
                public void cleanup() throws Exception {
                    procs.stopAll();
                }
            };
        }
    }

    /** Spawning is the iteration's setup; stopping is measured. */
    @State(Scope.Benchmark)
    public static class Stop extends WorkloadBench {
        @Override
        protected Workload create(Runtimes rt) {
            IdleProcesses procs = new IdleProcesses(rt, N);
            return new Workload() {
                @Override
                public void prepare() throws Exception {
                    procs.spawnAll();
                    Thread.sleep(500); // let Pekko and virtual threads finish starting them
                    System.gc();
                }

                @Override
                public void run() throws Exception {
                    procs.stopAll();
                }

                @Override
                public void cleanup() throws Exception {
                    procs.stopAll(); // no-op unless run failed
                }
            };
        }
    }

    @Benchmark
    public void spawn(Spawn state) throws Exception {
        state.workload.run();
    }

    @Benchmark
    public void stop(Stop state) throws Exception {
        state.workload.run();
    }
}
