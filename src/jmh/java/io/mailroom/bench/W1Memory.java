package io.mailroom.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * W1's memory figure: the heap retained per idle process. Not a JMH benchmark: run once per
 * implementation in a fresh JVM ({@code java ... io.mailroom.bench.W1Memory mailroom [n]}).
 *
 * <p>Method: start the runtime and warm it up (spawn and stop a few rounds), allocate the arrays
 * that will hold the handles, then settle the heap (full GCs until used heap stops moving) and
 * read it. Spawn {@code n} idle processes and keep their handles (pids, actor refs, queues and
 * threads), settle again until two readings agree (Pekko and virtual threads finish starting
 * asynchronously), and divide the difference by {@code n}. Last, stop them all, drop the handles
 * and settle once more, to show the memory comes back. The last line of output is machine-readable:
 * {@code RESULT <impl> <bytes per process> <bytes per process left after stop>}.
 */
public final class W1Memory {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    public static void main(String[] args) throws Exception {
        String impl = args.length > 0 ? args[0] : Runtimes.MAILROOM;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        try (Runtimes rt = Runtimes.start(impl)) {
            for (int round = 0; round < 3; round++) {
                IdleProcesses warm = new IdleProcesses(rt, 50_000);
                warm.spawnAll();
                warm.stopAll();
            }
            IdleProcesses procs = new IdleProcesses(rt, n);
            long before = settled();
            procs.spawnAll();
            long after = settled();
            for (int i = 0; i < 20; i++) {
                Thread.sleep(250);
                long again = settled();
                boolean stable = Math.abs(again - after) < after / 1000;
                after = again;
                if (stable) {
                    break;
                }
            }
            double perProcess = (after - before) / (double) n;
            procs.stopAll();
            procs.release();
            long stopped = settled();
            double leftover = (stopped - before) / (double) n;
            System.out.printf("%s: heap before %,d B, with %,d idle processes %,d B, after stopping them %,d B%n",
                    impl, before, n, after, stopped);
            System.out.printf("RESULT %s %.1f %.1f%n", impl, perProcess, leftover);
        }
    }

    /** Used heap after full GCs, once two readings in a row are within 64 KiB. */
    private static long settled() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (Math.abs(used - previous) < 64 * 1024) {
                return used;
            }
            previous = used;
        }
        return previous;
    }
}
