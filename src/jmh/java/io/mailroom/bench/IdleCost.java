package io.mailroom.bench;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import io.mailroom.process.Pid;
import io.mailroom.process.SchedulerStats;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.ToLongFunction;

/**
 * What idle processes cost a Mailroom node (issue 15), outside JMH, one figure per run:
 * <pre>
 * java ... io.mailroom.bench.IdleCost cpu 19000          # CPU of the node's threads, processes idle
 * java ... io.mailroom.bench.IdleCost cpu 19000 30       # the same, each process re-arming a 30 s tick
 *                                                          # (-Didle.spinMicros=N: another NodeConfig.spinMicros)
 * java ... io.mailroom.bench.IdleCost memory main        # heap per idle process spawned by the main thread
 * java ... io.mailroom.bench.IdleCost memory process     # heap per idle process spawned by a process
 * </pre>
 * CPU: spawn the processes on 2 schedulers, send each one message (with ticks: spread over one
 * tick period, so the ticks come at an even rate as 19,000 chat sessions' pings would), let the
 * node settle for 5 s, then read the scheduler and timer threads' CPU time over 10 s.
 * Memory: as {@link W1Memory}, 1,000,000 processes, used heap after full GCs before and after.
 */
public final class IdleCost {
    private static final String PREFIX = "idle-cost";

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "cpu" -> cpu(Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 0);
            case "memory" -> memory(args[1].equals("process"));
            default -> throw new IllegalArgumentException("cpu N [tickSeconds] | memory main|process");
        }
    }

    private static void cpu(int n, int tickSeconds) throws Exception {
        NodeConfig defaults = NodeConfig.defaults();
        int spin = Integer.getInteger("idle.spinMicros", defaults.spinMicros());
        NodeConfig config = defaults.withSchedulers(2).withSpinMicros(spin).withThreadPrefix(PREFIX);
        try (Node node = Node.start(config)) {
            CountDownLatch started = new CountDownLatch(n);
            Duration tick = Duration.ofSeconds(tickSeconds);
            Behavior<String> idle = Behaviors.receive((ctx, m) -> {
                if (m.equals("start")) {
                    started.countDown();
                }
                if (tickSeconds > 0) {
                    ctx.sendAfter("tick", tick);
                }
                return Behaviors.same();
            });
            List<Pid<String>> pids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                pids.add(node.spawn(idle));
            }
            long spreadNanos = tick.toNanos();
            long begin = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pids.get(i).send("start");
                long due = begin + spreadNanos * (i + 1) / n;
                while (tickSeconds > 0 && System.nanoTime() < due) {
                    Thread.sleep(1);
                }
            }
            started.await();
            Thread.sleep(5_000);
            long cpu0 = cpuOfThreads(PREFIX);
            long timer0 = cpuOfThreads(PREFIX + "-timers");
            long parks0 = sum(node, SchedulerStats::parks);
            long unparks0 = sum(node, SchedulerStats::unparks);
            long spins0 = sum(node, SchedulerStats::spins);
            long wall0 = System.nanoTime();
            Thread.sleep(10_000);
            double wall = System.nanoTime() - wall0;
            System.out.printf("%d idle processes%s, spin %d us: the node's threads used %.4f cores (the timer thread %.4f);"
                            + " parks %d, unparks %d, spins %d in %.1f s%n",
                    n, tickSeconds > 0 ? " each with a " + tickSeconds + " s tick" : "", spin, (cpuOfThreads(PREFIX) - cpu0) / wall,
                    (cpuOfThreads(PREFIX + "-timers") - timer0) / wall,
                    sum(node, SchedulerStats::parks) - parks0, sum(node, SchedulerStats::unparks) - unparks0,
                    sum(node, SchedulerStats::spins) - spins0, wall / 1e9);
        }
    }

    private static void memory(boolean byProcess) throws Exception {
        int n = 1_000_000;
        try (Node node = Node.start()) {
            Behavior<Object> idle = Behaviors.receive(m -> Behaviors.stopped());
            Pid<?>[] pids = new Pid<?>[n];
            CompletableFuture<Void> done = new CompletableFuture<>();
            Pid<Integer> spawner = node.spawn(Behaviors.<Integer>receive((ctx, k) -> {
                for (int i = 0; i < k; i++) {
                    pids[i] = ctx.spawn(idle);
                }
                done.complete(null);
                return Behaviors.same();
            }));
            long before = settled();
            if (byProcess) {
                spawner.send(n);
                done.get();
            } else {
                for (int i = 0; i < n; i++) {
                    pids[i] = node.spawn(idle);
                }
            }
            settled();
            long after = settled();
            System.out.printf("spawned by %s: %.1f bytes per idle process%n", byProcess ? "a process" : "the main thread",
                    (after - before) / (double) n);
        }
    }

    private static long sum(Node node, ToLongFunction<SchedulerStats> count) {
        return node.schedulerStats().stream().mapToLong(count).sum();
    }

    private static long cpuOfThreads(String prefix) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                total += Math.max(0, threads.getThreadCpuTime(t.threadId()));
            }
        }
        return total;
    }

    /** Used heap after full GCs, once two readings in a row are within 64 KiB. */
    private static long settled() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long used = memory.getHeapMemoryUsage().getUsed();
            if (Math.abs(used - previous) < 64 * 1024) {
                return used;
            }
            previous = used;
        }
        return previous;
    }
}
