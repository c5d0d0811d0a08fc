package io.mailroom.process;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The M:N scheduler: N worker threads run any number of processes. Each worker owns a run queue;
 * a process woken by a send from a worker goes to that worker (locality), and one woken from
 * outside goes to a shared queue. Idle workers spin briefly, stealing from the others, then park:
 * an idle node burns no CPU.
 *
 * <p>Wake-ups follow Go's scheduler: a worker is unparked only when work appears and no other
 * worker is already searching, and a worker re-checks every queue after announcing that it parks,
 * so work is never left queued while all workers sleep.
 */
final class Scheduler {

    final Worker[] workers;
    private final ConcurrentLinkedQueue<Cell<?>> shared = new ConcurrentLinkedQueue<>();
    private final AtomicInteger spinning = new AtomicInteger();
    private final ArrayDeque<Worker> parked = new ArrayDeque<>();
    private volatile int parkedCount;
    volatile boolean running = true;
    final int budget;
    final int spinRounds;

    Scheduler(NodeConfig config) {
        this.budget = config.messageBudget();
        this.spinRounds = config.spinRounds();
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
        if (Thread.currentThread() instanceof WorkerThread t && t.worker.scheduler == this) {
            t.worker.pushNext(cell);
        } else {
            shared.add(cell);
            signalWork();
        }
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
        LockSupport.unpark(w.thread);
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

    /** Looks through every queue once, as a worker does before it parks. */
    Cell<?> findAnywhere(Worker self, boolean includeRunNext) {
        Cell<?> c = shared.poll();
        if (c != null) {
            return c;
        }
        int n = workers.length;
        int start = self.index;
        for (int i = 1; i <= n; i++) {
            Worker victim = workers[(start + i) % n];
            if (victim == self) {
                continue;
            }
            c = victim.queue.poll();
            if (c != null) {
                return c;
            }
            if (includeRunNext) {
                c = victim.stealRunNext();
                if (c != null) {
                    return c;
                }
            }
        }
        return null;
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
