package io.mailroom.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** W3: 1,000 pinger/ponger pairs at once, 1,000 round trips each (2,000,000 messages). */
@State(Scope.Benchmark)
public class W3PingPongPairs extends WorkloadBench {
    public static final long UNITS = 2_000_000L;
    public static final String UNIT = "msgs";

    @Override
    protected Workload create(Runtimes rt) {
        return PingPong.create(rt, 1_000, 1_000);
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }
}
