package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A scheduler's own run queue: a bounded ring that only its owner pushes to, and that its owner
 * and thieves take from (single producer, many consumers, FIFO), as Go's local run queue. A push
 * to a full ring fails and the caller overflows to the shared queue. A thief takes half of the
 * ring in one step ({@link #stealHalfInto}), so a burst of wake-ups costs a few steals, not one
 * per process.
 */
final class RunQueue {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Cell[].class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(RunQueue.class, "head", long.class);
            TAIL = lookup.findVarHandle(RunQueue.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Cell<?>[] slots;
    private final int mask;
    // head and tail on separate cache lines: thieves hammer head, the owner writes tail
    @SuppressWarnings("unused") private long p01, p02, p03, p04, p05, p06, p07;
    private volatile long head;
    @SuppressWarnings("unused") private long p11, p12, p13, p14, p15, p16, p17;
    private volatile long tail;

    RunQueue(int capacityPowerOfTwo) {
        if (Integer.bitCount(capacityPowerOfTwo) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacityPowerOfTwo);
        }
        slots = new Cell<?>[capacityPowerOfTwo];
        mask = capacityPowerOfTwo - 1;
    }

    /** Owner only: appends {@code cell}; false if the ring is full. */
    boolean push(Cell<?> cell) {
        long t = tail;
        long h = (long) HEAD.getAcquire(this);
        if (t - h >= slots.length) {
            return false;
        }
        SLOTS.setRelease(slots, (int) (t & mask), cell);
        TAIL.setRelease(this, t + 1);
        return true;
    }

    /** Any thread: takes the oldest entry, or null when empty. */
    Cell<?> poll() {
        for (;;) {
            long h = (long) HEAD.getAcquire(this);
            long t = (long) TAIL.getAcquire(this);
            if (h >= t) {
                return null;
            }
            Cell<?> cell = (Cell<?>) SLOTS.getAcquire(slots, (int) (h & mask));
            if (HEAD.compareAndSet(this, h, h + 1)) {
                return cell;
            }
        }
    }

    /**
     * Any thread but the owner of {@code into}'s victim: takes the older half of this ring's entries
     * (at least one, at most half of {@code into}'s free room) and pushes all of them but the oldest
     * into {@code into}, which must be the caller's own ring; returns that oldest one, or null when
     * this ring is empty. As Go's {@code runqgrab}: the entries are read first and claimed by one
     * CAS of the head, so a claim that loses a race with the owner or another thief reads again;
     * a slot the owner reuses lies past a head that has moved, so the CAS that would return it fails.
     */
    Cell<?> stealHalfInto(RunQueue into) {
        return stealHalfInto(into, 1);
    }

    /** As {@link #stealHalfInto(RunQueue)}, but takes nothing unless at least {@code minAvailable} entries wait. */
    Cell<?> stealHalfInto(RunQueue into, int minAvailable) {
        int room = into.slots.length - into.size();
        for (;;) {
            long h = (long) HEAD.getAcquire(this);
            long t = (long) TAIL.getAcquire(this);
            long available = t - h;
            if (available <= 0 || available < minAvailable) {
                return null;
            }
            int n = (int) Math.min(available - available / 2, Math.max(1, room / 2));
            Cell<?> first = (Cell<?>) SLOTS.getAcquire(slots, (int) (h & mask));
            // Read into the thief's ring past its tail without publishing: only its owner (the
            // caller) writes there, and the tail moves only after the claim succeeds.
            long it = into.tail;
            for (int i = 1; i < n; i++) {
                into.slots[(int) ((it + i - 1) & into.mask)] = (Cell<?>) SLOTS.getAcquire(slots, (int) ((h + i) & mask));
            }
            if (HEAD.compareAndSet(this, h, h + n)) {
                if (n > 1) {
                    TAIL.setRelease(into, it + n - 1); // publishes the slots written above
                }
                return first;
            }
        }
    }

    /** A snapshot of the number of entries. */
    int size() {
        long t = tail;
        long h = head;
        return (int) Math.max(0, t - h);
    }

    boolean isEmpty() {
        return head >= tail;
    }
}
