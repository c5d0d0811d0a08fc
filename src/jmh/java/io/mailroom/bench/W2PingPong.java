package io.mailroom.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** W2: one pinger/ponger pair, 1,000,000 round trips (2,000,000 messages). */
@State(Scope.Benchmark)
public class W2PingPong extends WorkloadBench {
    public static final long UNITS = 2_000_000L;
    public static final String UNIT = "msgs";

    @Override
    protected Workload create(Runtimes rt) {
        return PingPong.create(rt, 1, 1_000_000);
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }
}
