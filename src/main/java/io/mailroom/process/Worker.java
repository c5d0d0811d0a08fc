package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * One scheduler thread's loop: take a runnable process, give it one turn, repeat; search and
 * then park when there is nothing to run.
 *
 * <p>The first process woken by the running one goes to the {@code runNext} slot and runs right
 * after it (a request and its reply stay on one core, warm in cache), at most {@link #RUN_NEXT_STREAK}
 * times in a row so the rest of the queue is not starved; any more it wakes in the same turn (a
 * broadcast) go to the run queue in wake order, a plain push each. Every {@link #SHARED_EVERY} turns the
 * shared queue is served first, so work from outside the runtime is never starved either.
 *
 * <p>What it costs to be idle: a worker spins only while spinning pays. Its spin is bounded by
 * time ({@link NodeConfig#spinMicros()}) and adaptive: a spin that found work it would otherwise
 * have been woken for doubles the next spin (up to that time), a spin that found nothing halves it
 * (down to {@link #MIN_SPIN_NANOS}); so it spins long only while most spins find work. (Setting
 * it straight back to the full time on any success made a node whose timers fire a few hundred
 * times a second spin 50 µs after nearly every one: a stray success among failures is not a trend.) Only work another worker could take (a process in a run
 * queue, not in {@code runNext}) wakes a parked worker, once per turn of the waker.
 */
final class Worker implements Runnable {
    static final int RUN_NEXT_STREAK = 32;
    static final int SHARED_EVERY = 61;
    /** The shortest spin: a couple of rounds over the queues. */
    static final long MIN_SPIN_NANOS = 1_000;
    /**
     * In the first half of a spin a thief leaves a queue shorter than this to its owner: when the
     * owner wakes processes more slowly than the thief runs them (a broadcaster still cold, or
     * descheduled), taking each as it appears is a steal per process, the storm issue 15 saw.
     * Waiting lets a batch gather; the second half of the spin, and the look before parking, take
     * whatever there is.
     */
    static final int STEAL_BATCH = 8;
    /**
     * How long a thief lets a running worker's turn go on before it takes that worker's
     * {@code runNext} (Go waits 3 µs): the usual case is a process that wakes another and then
     * ends its turn, and the woken one should then run here, warm in cache, not migrate.
     */
    static final long RUN_NEXT_GRACE_NANOS = 3_000;
    private static final VarHandle RUN_NEXT;
    private static final VarHandle SENT;
    private static final VarHandle TURN_SEQ;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            RUN_NEXT = lookup.findVarHandle(Worker.class, "runNext", Cell.class);
            SENT = lookup.findVarHandle(Worker.class, "sent", long.class);
            TURN_SEQ = lookup.findVarHandle(Worker.class, "turnSeq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Scheduler scheduler;
    final int index;
    final RunQueue queue = new RunQueue(16384);
    Thread thread;
    volatile boolean wokenAsSpinner;
    private volatile Cell<?> runNext;
    private int runNextStreak;
    private long turns;
    private long sent;
    /**
     * Odd while a turn runs, even between turns: lets a thief see that a turn is still the same
     * one, and the watchdog ({@link Scheduler#lookForHeldUpWork}) that one has gone on too long.
     */
    @SuppressWarnings("unused") private long turnSeq;
    /** Last {@link #turnSeq} the watchdog saw; its thread only. */
    long seqSeenByWatchdog;
    /** This turn has signalled stealable work already; {@link #moreToSignal}: it pushed more since. */
    private boolean signalled;
    private boolean moreToSignal;
    /** This turn has woken a process into {@link #runNext} already. */
    private boolean wokeThisTurn;
    /**
     * This worker ran out of work since its last turn: the watchdog may have gone to sleep
     * meanwhile, seeing no turn running, so the next turn tells it.
     */
    private boolean resumed;
    private final long maxSpinNanos;
    private long spinNanos;
    private volatile long parkedNanos;
    /** Time spent spinning for work (the spins themselves: a few µs each, at state changes only). */
    private volatile long spinningNanos;
    /** When the park or spin going on now began, or 0: lets a reader count the one in progress. */
    private volatile long parkedSince;
    private volatile long spinningSince;
    private volatile long steals;
    private volatile long stolen;
    private volatile long spins;
    private volatile long parks;
    private volatile long turnsVisible;
    private volatile boolean parkedNow;
    private final long startedAt = System.nanoTime();

    Worker(Scheduler scheduler, int index) {
        this.scheduler = scheduler;
        this.index = index;
        this.maxSpinNanos = scheduler.spinNanos;
        this.spinNanos = maxSpinNanos;
    }

    @Override
    public void run() {
        int budget = scheduler.budget;
        long seq = 0;
        while (scheduler.running) {
            Cell<?> cell = next();
            if (cell == null) {
                turnsVisible = turns;
                cell = search();
                if (cell == null) {
                    continue;
                }
            }
            signalled = false;
            moreToSignal = false;
            wokeThisTurn = false;
            TURN_SEQ.setOpaque(this, ++seq);
            if (resumed) {
                resumed = false;
                scheduler.turnsResumed(); // after the store above: the watchdog sees this turn or is woken
            }
            try {
                cell.run(budget);
            } catch (Throwable t) {
                // handlers' faults are the process's (Cell catches them); this is the runtime's own:
                // the process ends as a crash (reported like one) and this thread, and every other
                // process on it, go on
                cell.abandon(t);
            }
            TURN_SEQ.setOpaque(this, ++seq);
            if (moreToSignal && !queue.isEmpty()) {
                scheduler.signalWork(); // the turn pushed more since its first signal: one more look
            }
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
        resumed = true;
        for (;;) {
            boolean woken = wokenAsSpinner;
            wokenAsSpinner = false;
            if (woken || scheduler.tryStartSpinning()) {
                Cell<?> c = spin(woken);
                if (c != null) {
                    return c;
                }
            }
            // Announce, then look once more everywhere: a push after the announcement wakes us,
            // a push before it is seen here.
            scheduler.announcePark(this);
            Cell<?> c = lookEverywhere(true, 1);
            if (c != null) {
                // Spinning longer would have found it without the announcement: spin longer next time.
                spinNanos = Math.min(maxSpinNanos, 2 * spinNanos);
                if (!scheduler.withdrawPark(this)) {
                    // A waker took us off the parked list and counted us as spinning.
                    wokenAsSpinner = false;
                    foundWhileSpinning();
                }
                return c;
            }
            parks++;
            parkedNow = true;
            long parkedAt = System.nanoTime();
            parkedSince = parkedAt;
            while (!wokenAsSpinner && scheduler.running) {
                LockSupport.park(this);
            }
            parkedNow = false;
            parkedSince = 0; // before the total: a reader may miss this park for an instant, never count it twice
            parkedNanos += System.nanoTime() - parkedAt;
            if (!scheduler.running) {
                return null;
            }
        }
    }

    /**
     * One spin, counted as spinning by the caller: looks everywhere until it finds work or its
     * time is up. A worker woken for work spins at least {@link #MIN_SPIN_NANOS}; finding what
     * it was woken for does not lengthen its spins, only finding work it was not woken for does.
     */
    private Cell<?> spin(boolean woken) {
        spins++;
        long limit = woken ? Math.max(MIN_SPIN_NANOS, spinNanos) : spinNanos;
        long start = System.nanoTime();
        spinningSince = start;
        long elapsed = 0;
        do {
            Cell<?> c = lookEverywhere(false, elapsed < limit / 2 ? STEAL_BATCH : 1);
            if (c != null) {
                if (!woken) {
                    spinNanos = Math.min(maxSpinNanos, 2 * spinNanos);
                }
                spun(start);
                foundWhileSpinning();
                return c;
            }
            Thread.onSpinWait();
            elapsed = System.nanoTime() - start;
        } while (scheduler.running && elapsed < limit);
        spun(start);
        spinNanos = Math.max(Math.min(MIN_SPIN_NANOS, maxSpinNanos), spinNanos / 2);
        scheduler.stopSpinning();
        return null;
    }

    private void spun(long start) {
        spinningSince = 0; // before the total, as with parking
        spinningNanos += System.nanoTime() - start;
    }

    /**
     * Time parked or spinning so far, the park or spin in progress included: the two totals, read
     * around the in-progress mark until they hold still (the owner clears the mark before adding
     * to the total, so an interval is never counted twice).
     */
    private static long soFar(LongSupplier total, LongSupplier since, long now) {
        for (;;) {
            long before = total.getAsLong();
            long from = since.getAsLong();
            if (total.getAsLong() == before) {
                return before + (from == 0 ? 0 : Math.max(0, now - from));
            }
        }
    }

    /**
     * Looks in the shared queue, takes half of another worker's queue, then this worker's own;
     * with {@code runNextToo}, also a {@code runNext} held up behind a long turn.
     */
    private Cell<?> lookEverywhere(boolean runNextToo, int minBatch) {
        Cell<?> c = scheduler.pollShared();
        if (c != null) {
            return c;
        }
        Worker[] workers = scheduler.workers;
        int n = workers.length;
        for (int i = 1; i < n; i++) {
            Worker victim = workers[(index + i) % n];
            int before = queue.size();
            c = victim.queue.stealHalfInto(queue, minBatch);
            if (c == null && runNextToo) {
                c = victim.stealRunNextIfHeldUp();
            }
            if (c != null) {
                steals++;
                stolen += 1 + Math.max(0, queue.size() - before);
                return c;
            }
        }
        return queue.poll();
    }

    private void foundWhileSpinning() {
        if (scheduler.stopSpinning() && scheduler.hasStealableWork()) {
            scheduler.signalWork(); // there is more: let another worker look
        }
    }

    /**
     * A process woken by the one running here runs next; the one it displaces goes to the queue,
     * where another worker may take it: only then is anyone signalled.
     */
    void pushNext(Cell<?> cell) {
        if (wokeThisTurn) {
            // A fan-out: the first process this turn woke runs next; the rest queue up behind it
            // in the order they were woken, each a plain push rather than an exchange of runNext.
            pushBack(cell);
            return;
        }
        wokeThisTurn = true;
        Cell<?> previous = (Cell<?>) RUN_NEXT.getAndSet(this, cell);
        if (previous != null) {
            if (!queue.push(previous)) {
                scheduler.overflow(previous);
            }
            stealable();
        }
    }

    /** A process that used up its turn goes to the back of this worker's queue. */
    void pushBack(Cell<?> cell) {
        if (!queue.push(cell)) {
            scheduler.overflow(cell);
        }
        stealable();
    }

    /** This turn made work another worker could take: the first time, signal; after, note it. */
    private void stealable() {
        if (!signalled) {
            signalled = true;
            scheduler.signalWork();
        } else {
            moreToSignal = true;
        }
    }

    /** The turn sequence: odd while a turn runs. */
    long turnSeq() {
        return (long) TURN_SEQ.getVolatile(this);
    }

    /** Whether a process waits here that another worker could run: in {@code runNext} or the queue. */
    boolean hasWaiting() {
        return runNext != null || !queue.isEmpty();
    }

    /**
     * Takes this worker's {@code runNext} only if it waits behind a turn that has gone on for
     * {@link #RUN_NEXT_GRACE_NANOS}: between turns, or when the turn ends soon, this worker runs
     * it itself, warm in cache. Called by a worker about to park, so its waiting costs nobody.
     */
    Cell<?> stealRunNextIfHeldUp() {
        Cell<?> c = runNext;
        if (c == null) {
            return null;
        }
        long seq = (long) TURN_SEQ.getOpaque(this);
        if ((seq & 1) == 0) {
            return null; // between turns: it is about to take it
        }
        long start = System.nanoTime();
        while (System.nanoTime() - start < RUN_NEXT_GRACE_NANOS) {
            if (runNext != c || (long) TURN_SEQ.getOpaque(this) != seq) {
                return null;
            }
            Thread.onSpinWait();
        }
        if ((long) TURN_SEQ.getOpaque(this) == seq && RUN_NEXT.compareAndSet(this, c, null)) {
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
        long now = System.nanoTime();
        long elapsed = now - startedAt;
        long parked = soFar(() -> parkedNanos, () -> parkedSince, now);
        long spinning = soFar(() -> spinningNanos, () -> spinningSince, now);
        double utilization = elapsed <= 0 ? 0 : Math.max(0, Math.min(1, 1.0 - (double) parked / elapsed));
        return new SchedulerStats(index, queue.size() + (rn == null ? 0 : 1), turnsVisible, steals, stolen, spins,
                parks, scheduler.unparksOf(index), parkedNow, parked, utilization, spinning, elapsed);
    }
}
