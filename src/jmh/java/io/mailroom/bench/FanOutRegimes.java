package io.mailroom.bench;

import io.mailroom.process.SchedulerStats;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Why W4's iterations differ (issue 15's spread bar), outside JMH: runs W4's Mailroom workload
 * many times on one node and prints, per iteration, its time, what the schedulers did in it
 * (turns, steals, processes stolen), and the GC pause, JIT compile and process CPU time inside it:
 * <pre>
 * java ... io.mailroom.bench.FanOutRegimes 400 25     # 400 iterations, the first 25 as warm-up
 * java ... io.mailroom.bench.FanOutRegimes 400 25 gc  # System.gc() before each iteration, as the JMH suite does
 * </pre>
 * 100 broadcasts to 10,000 subscribers are 1,000,000 deliveries. When the subscribers get their
 * events in batches, that is tens of thousands of turns; when a thief keeps pace with the
 * publisher, each subscriber runs once per event: a million turns, each after a wake-up. The
 * summary splits the measured iterations by that, by whether a collection paused them, and by
 * whether the thief stole a few processes at a time (a steal storm).
 */
public final class FanOutRegimes {
    /** At least this many turns for 1,000,000 deliveries: about one turn per delivery. */
    static final long ONE_PER_TURN = 700_000;
    /** At least this many steals in one iteration: a thief taking a handful of processes each time. */
    static final long STORM = 10_000;
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    record Iteration(double millis, long turns, long steals, long stolen, long parks, long gcMillis, long jitMillis,
                     double cpuMillis) {
        boolean unpaused() {
            return gcMillis == 0;
        }

        boolean storm() {
            return steals >= STORM;
        }

        boolean onePerTurn() {
            return turns >= ONE_PER_TURN;
        }
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        boolean gcBetween = args.length > 2 && args[2].equals("gc");
        List<Iteration> measured = new ArrayList<>();
        try (Runtimes rt = Runtimes.start(Runtimes.MAILROOM)) {
            for (int i = 0; i < iterations; i++) {
                if (gcBetween) {
                    System.gc(); // a full collection: what survives it (the node, its rings) is old from then on
                }
                Workload w = new W4FanOut.MailroomFanOut(rt);
                w.prepare();
                Thread.sleep(20); // the spawns' first turns are over
                Iteration it = runOnce(rt, w);
                System.out.printf(Locale.ROOT,
                        "%3d %s %7.1f ms  turns %7d  steals %6d  stolen %7d  parks %3d  gc %3d ms  jit %4d ms  cpu %5.1f ms%n",
                        i, i < warmup ? "warm-up " : "measured", it.millis, it.turns, it.steals, it.stolen, it.parks,
                        it.gcMillis, it.jitMillis, it.cpuMillis);
                if (i >= warmup) {
                    measured.add(it);
                }
                w.cleanup();
            }
        }
        summarize("all measured", measured, it -> true);
        List<Iteration> unpaused = measured.stream().filter(Iteration::unpaused).toList();
        summarize("no collection inside", unpaused, it -> true);
        summarize("  steal storm", unpaused, Iteration::storm);
        summarize("  batched", unpaused, it -> !it.storm() && !it.onePerTurn());
        summarize("  one event per turn", unpaused, it -> !it.storm() && it.onePerTurn());
    }

    private static Iteration runOnce(Runtimes rt, Workload w) throws Exception {
        List<SchedulerStats> before = rt.node.schedulerStats();
        long gcBefore = gcPauseMillis();
        long jitBefore = JIT.getTotalCompilationTime();
        long cpuBefore = OS.getProcessCpuTime();
        long start = System.nanoTime();
        w.run();
        long end = System.nanoTime();
        long gc = gcPauseMillis() - gcBefore;
        long jit = JIT.getTotalCompilationTime() - jitBefore;
        double cpu = (OS.getProcessCpuTime() - cpuBefore) / 1e6;
        Thread.sleep(5); // every worker has run out of work and published its turn count
        List<SchedulerStats> after = rt.node.schedulerStats();
        long turns = 0;
        long steals = 0;
        long stolen = 0;
        long parks = 0;
        for (int k = 0; k < before.size(); k++) {
            turns += after.get(k).turns() - before.get(k).turns();
            steals += after.get(k).steals() - before.get(k).steals();
            stolen += after.get(k).stolen() - before.get(k).stolen();
            parks += after.get(k).parks() - before.get(k).parks();
        }
        return new Iteration((end - start) / 1e6, turns, steals, stolen, parks, gc, jit, cpu);
    }

    private static long gcPauseMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!gc.getName().contains("Concurrent")) { // pauses only: G1's concurrent cycles run beside the workload
                sum += Math.max(0, gc.getCollectionTime());
            }
        }
        return sum;
    }

    private static void summarize(String label, List<Iteration> all, Predicate<Iteration> which) {
        List<Iteration> its = all.stream().filter(which).toList();
        if (its.isEmpty()) {
            System.out.printf(Locale.ROOT, "%-24s none%n", label);
            return;
        }
        double[] ms = its.stream().mapToDouble(Iteration::millis).sorted().toArray();
        double turns = its.stream().mapToLong(Iteration::turns).average().orElse(0);
        System.out.printf(Locale.ROOT,
                "%-24s n=%3d  min %5.1f  median %5.1f  max %5.1f ms  spread %.2fx  mean turns %.0fk%n",
                label, ms.length, ms[0], ms[ms.length / 2], ms[ms.length - 1], ms[ms.length - 1] / ms[0], turns / 1000);
    }

    private FanOutRegimes() {}
}
