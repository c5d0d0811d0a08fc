package io.mailroom.process;

import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The M:N scheduler: N worker threads run any number of processes. Each worker owns a run queue;
 * a process woken by a send from a worker goes to that worker (locality), and one woken from
 * outside goes to a shared queue. Idle workers spin briefly (bounded by time, and shorter when
 * spinning keeps finding nothing), stealing half of another's queue at a time, then park: an idle
 * node burns no CPU.
 *
 * <p>Wake-ups follow Go's scheduler: a worker is unparked only when work another worker could take
 * appears (in the shared queue, or in a worker's run queue; never for a process in {@code runNext},
 * which runs next where it is) and no other worker is already searching; a busy worker signals at
 * most once or twice per turn however many processes that turn wakes. A worker re-checks every
 * queue after announcing that it parks, so work is never left queued while all workers sleep.
 */
final class Scheduler {

    final Worker[] workers;
    private final ConcurrentLinkedQueue<Cell<?>> shared = new ConcurrentLinkedQueue<>();
    private final AtomicInteger spinning = new AtomicInteger();
    private final ArrayDeque<Worker> parked = new ArrayDeque<>();
    private volatile int parkedCount;
    /** The thread that runs {@link #lookForHeldUpWork()}: the timer thread. */
    private volatile Timers watchdog;
    static final long WATCHDOG_NANOS = 1_000_000;
    /** The longest the watchdog may sleep while a turn runs before a worker wakes it (Go's sysmon sleeps up to 10 ms). */
    static final long WATCHDOG_LATE_NANOS = 10_000_000;
    volatile boolean running = true;
    final int budget;
    final long spinNanos;
    /** Unparks per worker: written by wakers on any thread. */
    private final AtomicLongArray unparks;

    Scheduler(NodeConfig config) {
        this.budget = config.messageBudget();
        this.spinNanos = TimeUnit.MICROSECONDS.toNanos(config.spinMicros());
        this.unparks = new AtomicLongArray(config.schedulers());
        this.workers = new Worker[config.schedulers()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, i);
        }
    }

    void start(String threadPrefix) {
        for (Worker w : workers) {
            WorkerThread t = new WorkerThread(w, threadPrefix + "-" + w.index);
            w.thread = t;
            t.start();
        }
    }

    /** Queues a process that has just become runnable. */
    void submit(Cell<?> cell) {
        submit(cell, localWorker());
    }

    /**
     * Queues a process that has just become runnable, from a thread already looked at: {@code local}
     * is {@link #localWorker()} (so a send, which also counts itself on that worker, looks once).
     */
    void submit(Cell<?> cell, Worker local) {
        if (local != null) {
            local.pushNext(cell);
        } else {
            shared.add(cell);
            signalWork();
        }
    }

    /** The worker of this scheduler that runs the current thread, or null for any other thread. */
    Worker localWorker() {
        return Thread.currentThread() instanceof WorkerThread t && t.worker.scheduler == this ? t.worker : null;
    }

    /**
     * Queues a process that used up its budget of messages for the turn: at the back of the run
     * queue, behind every process already waiting, never in the {@code runNext} slot (where it
     * would run again at once, up to {@link Worker#RUN_NEXT_STREAK} turns in a row).
     */
    void requeue(Cell<?> cell) {
        if (Thread.currentThread() instanceof WorkerThread t && t.worker.scheduler == this) {
            t.worker.pushBack(cell);
        } else {
            shared.add(cell);
            signalWork();
        }
    }

    void overflow(Cell<?> cell) {
        shared.add(cell);
    }

    Cell<?> pollShared() {
        return shared.poll();
    }

    /** Wakes a parked worker to search for work, unless one is searching already. */
    void signalWork() {
        if (parkedCount == 0 || spinning.get() != 0 || !spinning.compareAndSet(0, 1)) {
            return;
        }
        Worker w;
        synchronized (parked) {
            w = parked.pollFirst();
            if (w != null) {
                parkedCount--;
                w.wokenAsSpinner = true; // under the lock: a worker that withdraws sees it set
            }
        }
        if (w == null) {
            spinning.decrementAndGet();
            return;
        }
        unparks.incrementAndGet(w.index);
        LockSupport.unpark(w.thread);
    }

    /** Whether any queue holds a process that a worker could take: the shared queue or a run queue. */
    boolean hasStealableWork() {
        if (!shared.isEmpty()) {
            return true;
        }
        for (Worker w : workers) {
            if (!w.queue.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Whether a worker is running a turn now. */
    boolean anyTurnRunning() {
        for (Worker w : workers) {
            if ((w.turnSeq() & 1) == 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * The watchdog, run by the timer thread every {@link #WATCHDOG_NANOS} while a turn runs (Go's
     * sysmon): a process woken into {@code runNext} signals nobody, and a turn that then goes on
     * (a long computation, a blocking call) would hold it up. A worker still in the same turn as
     * at the last look, with a process waiting, gets an idle worker woken, which takes it.
     */
    void lookForHeldUpWork() {
        for (Worker w : workers) {
            long seq = w.turnSeq();
            if ((seq & 1) == 1 && seq == w.seqSeenByWatchdog && w.hasWaiting()) {
                signalWork();
            }
            w.seqSeenByWatchdog = seq;
        }
    }

    /**
     * A worker starts a turn after running out of work: the watchdog may have gone to sleep
     * seeing no turn, and must look while this one runs.
     */
    void turnsResumed() {
        VarHandle.fullFence(); // the turn's start is visible before we read whether the watchdog sleeps
        Timers t = watchdog;
        if (t != null) {
            t.wakeForWatchdog();
        }
    }

    void watchdog(Timers timers) {
        this.watchdog = timers;
    }

    long unparksOf(int index) {
        return unparks.get(index);
    }

    /** A worker may spin if fewer than half of the busy workers already do (Go's rule). */
    boolean tryStartSpinning() {
        int busy = workers.length - parkedCount;
        for (;;) {
            int s = spinning.get();
            if (2 * s >= busy && s > 0) {
                return false;
            }
            if (spinning.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /** A spinning worker stops spinning; returns true if it was the last one. */
    boolean stopSpinning() {
        return spinning.decrementAndGet() == 0;
    }

    void announcePark(Worker w) {
        synchronized (parked) {
            parked.addLast(w);
            parkedCount++;
        }
    }

    /** Withdraws a park announcement; false if a waker took the worker already. */
    boolean withdrawPark(Worker w) {
        synchronized (parked) {
            if (parked.remove(w)) {
                parkedCount--;
                return true;
            }
            return false;
        }
    }

    void shutdown(long timeoutMillis) throws InterruptedException {
        running = false;
        for (Worker w : workers) {
            w.wokenAsSpinner = true;
            LockSupport.unpark(w.thread);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Worker w : workers) {
            long left = deadline - System.nanoTime();
            w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            if (w.thread.isAlive()) {
                w.thread.interrupt();
                w.thread.join(1000);
            }
        }
    }

    int sharedQueueLength() {
        return shared.size();
    }

    List<SchedulerStats> stats() {
        List<SchedulerStats> list = new ArrayList<>(workers.length);
        for (Worker w : workers) {
            list.add(w.stats());
        }
        return list;
    }

    long messagesSent() {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.sentCount();
        }
        return sum;
    }

    /** The thread of one worker; lets a send find its worker without a thread-local lookup. */
    static final class WorkerThread extends Thread {
        final Worker worker;

        WorkerThread(Worker worker, String name) {
            super(worker, name);
            this.worker = worker;
            setDaemon(true);
        }
    }
}
