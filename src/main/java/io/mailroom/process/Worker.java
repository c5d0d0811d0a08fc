package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One scheduler thread's loop: take a runnable process, give it one turn, repeat; search and
 * then park when there is nothing to run.
 *
 * <p>A process woken by the running one goes to the {@code runNext} slot and runs right after it
 * (a request and its reply stay on one core, warm in cache), at most {@link #RUN_NEXT_STREAK}
 * times in a row so the rest of the queue is not starved. Every {@link #SHARED_EVERY} turns the
 * shared queue is served first, so work from outside the runtime is never starved either.
 */
final class Worker implements Runnable {
    static final int RUN_NEXT_STREAK = 32;
    static final int SHARED_EVERY = 61;
    private static final VarHandle RUN_NEXT;
    private static final VarHandle SENT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            RUN_NEXT = lookup.findVarHandle(Worker.class, "runNext", Cell.class);
            SENT = lookup.findVarHandle(Worker.class, "sent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Scheduler scheduler;
    final int index;
    final RunQueue queue = new RunQueue(4096);
    Thread thread;
    volatile boolean wokenAsSpinner;
    private volatile Cell<?> runNext;
    private int runNextStreak;
    private long turns;
    private long sent;
    private volatile long parkedNanos;
    private volatile long steals;
    private volatile long turnsVisible;
    private final long startedAt = System.nanoTime();

    Worker(Scheduler scheduler, int index) {
        this.scheduler = scheduler;
        this.index = index;
    }

    @Override
    public void run() {
        int budget = scheduler.budget;
        while (scheduler.running) {
            Cell<?> cell = next();
            if (cell == null) {
                cell = search();
                if (cell == null) {
                    continue;
                }
            }
            cell.run(budget);
            turns++;
            if ((turns & 1023) == 0) {
                turnsVisible = turns;
            }
        }
        turnsVisible = turns;
    }

    /** The next process from this worker's own queues. */
    private Cell<?> next() {
        if (turns % SHARED_EVERY == 0) {
            Cell<?> c = scheduler.pollShared();
            if (c != null) {
                return c;
            }
        }
        Cell<?> c = runNext;
        if (c != null && runNextStreak < RUN_NEXT_STREAK && RUN_NEXT.compareAndSet(this, c, null)) {
            runNextStreak++;
            return c;
        }
        runNextStreak = 0;
        c = queue.poll();
        if (c != null) {
            return c;
        }
        c = runNext;
        if (c != null && RUN_NEXT.compareAndSet(this, c, null)) {
            return c;
        }
        return scheduler.pollShared();
    }

    /**
     * Spins a while stealing, then parks; returns work found, or null when the scheduler stops.
     * A worker woken to search was counted as spinning by its waker, so it goes straight back to
     * spinning: only the spin loop, on finding work or giving up, ends the spin that was counted.
     * (Returning to {@link #run} instead would let it take work from its own queues while still
     * counted as spinning, and a count that nobody spins for stops every other wake-up.)
     */
    private Cell<?> search() {
        for (;;) {
            boolean spinningNow = wokenAsSpinner || scheduler.tryStartSpinning();
            wokenAsSpinner = false;
            if (spinningNow) {
                for (int i = 0; i < scheduler.spinRounds && scheduler.running; i++) {
                    Cell<?> c = scheduler.findAnywhere(this, false);
                    if (c == null) {
                        c = queue.poll();
                    }
                    if (c != null) {
                        foundWhileSpinning();
                        steals++;
                        return c;
                    }
                    Thread.onSpinWait();
                }
                scheduler.stopSpinning();
            }
            // Announce, then look once more everywhere: a push after the announcement wakes us,
            // a push before it is seen here.
            scheduler.announcePark(this);
            Cell<?> c = scheduler.findAnywhere(this, true);
            if (c == null) {
                c = queue.poll();
            }
            if (c != null) {
                if (!scheduler.withdrawPark(this)) {
                    // A waker took us off the parked list and counted us as spinning.
                    wokenAsSpinner = false;
                    foundWhileSpinning();
                }
                return c;
            }
            long parkedAt = System.nanoTime();
            while (!wokenAsSpinner && scheduler.running) {
                LockSupport.park(this);
            }
            parkedNanos += System.nanoTime() - parkedAt;
            if (!scheduler.running) {
                return null;
            }
        }
    }

    private void foundWhileSpinning() {
        if (scheduler.stopSpinning()) {
            scheduler.signalWork(); // there may be more: let another worker look
        }
    }

    /** A process woken by the one running here runs next; the one it displaces goes to the queue. */
    void pushNext(Cell<?> cell) {
        Cell<?> previous = (Cell<?>) RUN_NEXT.getAndSet(this, cell);
        if (previous != null) {
            if (!queue.push(previous)) {
                scheduler.overflow(previous);
            }
        }
        scheduler.signalWork();
    }

    /** A process that used up its turn goes to the back of this worker's queue. */
    void pushBack(Cell<?> cell) {
        if (!queue.push(cell)) {
            scheduler.overflow(cell);
        }
        scheduler.signalWork();
    }

    /** A parking worker takes this worker's runNext so it never waits behind a long turn. */
    Cell<?> stealRunNext() {
        Cell<?> c = runNext;
        if (c != null && RUN_NEXT.compareAndSet(this, c, null)) {
            return c;
        }
        return null;
    }

    /** Called on the worker's own thread for each message it sends. */
    void countSent() {
        SENT.setOpaque(this, sent + 1);
    }

    long sentCount() {
        return (long) SENT.getOpaque(this);
    }

    SchedulerStats stats() {
        Cell<?> rn = runNext;
        long elapsed = System.nanoTime() - startedAt;
        long parked = parkedNanos;
        double utilization = elapsed <= 0 ? 0 : Math.max(0, Math.min(1, 1.0 - (double) parked / elapsed));
        return new SchedulerStats(index, queue.size() + (rn == null ? 0 : 1), turnsVisible, steals, parked, utilization);
    }
}
