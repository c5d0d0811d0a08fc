package io.mailroom.process;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hashed timing wheel on one thread of its own (never a scheduler thread): {@code sendAfter},
 * receive timeouts and call timeouts. A pending timer is one small object in a bucket; adding and
 * cancelling are O(1) and lock-free for the caller, so a million pending timers cost about 50 MB
 * and nothing per tick but the bucket that is due. The thread sleeps until the next non-empty
 * bucket, and indefinitely when no timer is pending.
 *
 * <p>One thread serves every timer of the node, so it must not die of one of them: whatever a
 * delivery throws, {@code Error}s included, is logged and counted ({@link #errorCount()}) and the
 * wheel carries on; so does a failure of the wheel itself, after a pause. Only if the thread still
 * ends (the handler itself failing) is {@link #isAlive()} false, which health reports.
 *
 * <p>Deadlines are on the node's {@link NanoClock}: {@link NanoClock#SYSTEM} in production, read
 * through a final field (no allocation, one well-predicted call). The thread sleeps as many real
 * nanoseconds as that clock says are left; a clock that jumps (a test's) wakes it through
 * {@link NanoClock#follow}, and learns from {@link #caughtUpTo} when the jump's timers have fired.
 * The watchdog's naps stay real {@code parkNanos}: it looks for turns that run too long in real
 * time, and a test clock standing still must not stop it looking.
 */
final class Timers implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Timers.class);
    /** How long the loop pauses after a failure of its own, so a fault that repeats does not spin a core. */
    private static final long FAILURE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final int WHEEL_SIZE = 1024;
    private static final int PENDING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;

    private final long tickNanos;
    private final Bucket[] wheel = new Bucket[WHEEL_SIZE];
    private final ConcurrentLinkedQueue<Entry> added = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Entry> cancelled = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder errors = new LongAdder();
    private final NanoClock clock;
    private final long origin;
    private final Thread thread;
    /** Unregisters the thread from a clock that jumps; a no-op on the system clock. */
    private final Runnable unfollow;
    /** The clock's time the last turn expired timers through (every timer due by then has fired). */
    private volatile long caughtUpTo = Long.MIN_VALUE;
    private volatile boolean running = true;
    private volatile long plannedWake = Long.MAX_VALUE;
    private long tick; // the next tick to expire, from 0 at the origin; owned by the timer thread
    private Scheduler scheduler; // its watchdog runs here; set before start

    Timers(long tickNanos, String threadName, NanoClock clock) {
        this.tickNanos = tickNanos;
        this.clock = clock;
        this.origin = clock.nanoTime();
        for (int i = 0; i < WHEEL_SIZE; i++) {
            wheel[i] = new Bucket();
        }
        thread = new Thread(this, threadName);
        thread.setDaemon(true);
        unfollow = clock.follow(new NanoClock.Follower() {
            @Override
            public void wake() {
                LockSupport.unpark(thread);
            }

            @Override
            public long caughtUpTo() {
                return Timers.this.caughtUpTo;
            }
        });
    }

    /** The clock's time the last turn of the wheel expired timers through; MIN before the first. */
    long caughtUpTo() {
        return caughtUpTo;
    }

    /** Also runs {@code scheduler}'s watchdog, at least every {@link Scheduler#WATCHDOG_NANOS} while a turn runs. */
    void start(Scheduler scheduler) {
        this.scheduler = scheduler;
        scheduler.watchdog(this);
        thread.start();
    }

    /**
     * Unparks the timer thread if it sleeps past {@link Scheduler#WATCHDOG_LATE_NANOS} from now (it
     * saw no turn running). Sooner than that it wakes anyway, for a timer, and watches from then
     * on: waking it for every turn that follows a due timer would double its wake-ups on a node
     * whose timers fire every millisecond or two.
     */
    void wakeForWatchdog() {
        long planned = plannedWake;
        if (planned == Long.MAX_VALUE || planned - clock.nanoTime() > Scheduler.WATCHDOG_LATE_NANOS) {
            LockSupport.unpark(thread);
        }
    }

    /** Delivers {@code message} to {@code target} after {@code delayNanos}. */
    TimerRef schedule(Receiver target, Object message, long delayNanos) {
        long deadline = clock.nanoTime() - origin + Math.max(0, delayNanos);
        Entry e = new Entry(this, target, message, deadline);
        pending.incrementAndGet();
        added.add(e);
        if (deadline + origin < plannedWake) {
            LockSupport.unpark(thread);
        }
        return e;
    }

    /** Timers scheduled and neither fired nor cancelled. */
    int pendingCount() {
        return pending.get();
    }

    /** Deliveries (and turns of the wheel) that threw since the start. */
    long errorCount() {
        return errors.sum();
    }

    /** Whether the timer thread is running: false before start, after shutdown, or if it died. */
    boolean isAlive() {
        return thread.isAlive();
    }

    void shutdown() {
        running = false;
        unfollow.run();
        LockSupport.unpark(thread);
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        // tick stays 0, the origin: a timer set before this thread got going and already due by
        // now is expired in its own bucket, in deadline order, not all in the current one
        while (running) {
            try {
                turn();
            } catch (Throwable t) {
                // a fault of the wheel itself (a delivery's own is caught in expire): report, pause, go on
                errors.increment();
                LOG.error("the timer wheel failed; carrying on", t);
                LockSupport.parkNanos(this, FAILURE_PAUSE_NANOS);
            }
        }
    }

    /**
     * Expires what is due, watches for work held up behind a long turn, then sleeps until the next
     * due bucket, a new earlier timer, the watchdog's next look, or shutdown.
     */
    private void turn() {
        long at = clock.nanoTime();
        long currentTick = (at - origin) / tickNanos;
        drainCancelled();
        drainAdded();
        while (tick <= currentTick) {
            expire(wheel[(int) (tick & (WHEEL_SIZE - 1))]);
            tick++;
        }
        drainCancelled();
        caughtUpTo = at;
        if (scheduler != null) {
            scheduler.lookForHeldUpWork();
        }
        long wakeTick = nextDueTick();
        long watchUntil = clock.nanoTime() + Scheduler.WATCHDOG_NANOS;
        if (wakeTick == Long.MAX_VALUE) {
            plannedWake = Long.MAX_VALUE;
            // After announcing the sleep, look once more: a turn that starts after this look
            // sees the announcement and wakes us (Scheduler.turnsResumed).
            if (scheduler != null && scheduler.anyTurnRunning()) {
                plannedWake = watchUntil;
                if (added.isEmpty() && running) {
                    LockSupport.parkNanos(this, Scheduler.WATCHDOG_NANOS);
                }
            } else if (added.isEmpty() && running) {
                LockSupport.park(this);
            }
        } else {
            long wakeAt = origin + wakeTick * tickNanos;
            plannedWake = wakeAt;
            if (scheduler != null && wakeAt - watchUntil > 0 && scheduler.anyTurnRunning()) {
                wakeAt = watchUntil; // as above: announced, then looked
                plannedWake = wakeAt;
            }
            long wait = wakeAt - clock.nanoTime(); // on a clock that jumps, at most: a jump wakes us
            if (wait > 0 && added.isEmpty() && running) {
                LockSupport.parkNanos(this, wait);
            }
        }
    }

    private void drainAdded() {
        Entry e;
        while ((e = added.poll()) != null) {
            if (e.state != PENDING) {
                continue;
            }
            long dueTick = Math.max(e.deadline / tickNanos + (e.deadline % tickNanos == 0 ? 0 : 1), tick);
            e.rounds = (dueTick - tick) / WHEEL_SIZE;
            wheel[(int) (dueTick & (WHEEL_SIZE - 1))].add(e);
        }
    }

    private void drainCancelled() {
        Entry e;
        while ((e = cancelled.poll()) != null) {
            if (e.bucket != null) {
                e.bucket.remove(e);
            }
        }
    }

    private void expire(Bucket bucket) {
        Entry e = bucket.first;
        while (e != null) {
            Entry next = e.next;
            if (e.rounds > 0) {
                if (--e.rounds == 0) {
                    bucket.dueThisRound++;
                }
            } else {
                bucket.remove(e);
                if (e.fire()) {
                    pending.decrementAndGet();
                    deliver(e);
                }
            }
            e = next;
        }
    }

    /** Hands a due timer's message over; one that throws costs a log line, never the thread or the other timers. */
    private void deliver(Entry e) {
        try {
            e.target.deliver(e.message);
        } catch (Throwable t) {
            errors.increment();
            try {
                LOG.error("a timer's delivery of {} threw; the timer thread carries on",
                        e.message.getClass().getName(), t);
            } catch (Throwable logging) {
                // even the report failed (a throwable that cannot print itself): the count keeps it
            }
        }
    }

    /** The next tick whose bucket holds a timer due in this round, or a full turn ahead; MAX if none. */
    private long nextDueTick() {
        if (pending.get() == 0) {
            return Long.MAX_VALUE;
        }
        for (int i = 0; i < WHEEL_SIZE; i++) {
            if (wheel[(int) ((tick + i) & (WHEEL_SIZE - 1))].dueThisRound > 0) {
                return tick + i;
            }
        }
        return tick + WHEEL_SIZE - 1;
    }

    /** A doubly linked list of entries, owned by the timer thread. */
    private static final class Bucket {
        Entry first;
        Entry last;
        /** Entries whose rounds reached zero: due when the wheel next reaches this bucket. */
        int dueThisRound;

        void add(Entry e) {
            if (e.rounds == 0) {
                dueThisRound++;
            }
            e.bucket = this;
            e.prev = last;
            e.next = null;
            if (last == null) {
                first = e;
            } else {
                last.next = e;
            }
            last = e;
        }

        void remove(Entry e) {
            if (e.bucket != this) {
                return;
            }
            if (e.rounds == 0) {
                dueThisRound--;
            }
            if (e.prev == null) {
                first = e.next;
            } else {
                e.prev.next = e.next;
            }
            if (e.next == null) {
                last = e.prev;
            } else {
                e.next.prev = e.prev;
            }
            e.prev = null;
            e.next = null;
            e.bucket = null;
        }
    }

    private static final class Entry implements TimerRef {
        private static final java.lang.invoke.VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Entry.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Timers timers;
        final Receiver target;
        final Object message;
        final long deadline;
        volatile int state;
        long rounds;
        Bucket bucket;
        Entry prev;
        Entry next;

        Entry(Timers timers, Receiver target, Object message, long deadline) {
            this.timers = timers;
            this.target = target;
            this.message = message;
            this.deadline = deadline;
        }

        boolean fire() {
            return STATE.compareAndSet(this, PENDING, FIRED);
        }

        @Override
        public boolean cancel() {
            if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
                timers.pending.decrementAndGet();
                timers.cancelled.add(this);
                return true;
            }
            return false;
        }

        @Override
        public String toString() {
            return "timer(" + TimeUnit.NANOSECONDS.toMillis(deadline) + "ms)";
        }
    }
}
