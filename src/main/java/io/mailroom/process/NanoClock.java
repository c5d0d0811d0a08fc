package io.mailroom.process;

/**
 * The time a node's timers run on ({@link NodeConfig#clock()}): nanoseconds, meaningful only as
 * differences, as {@link System#nanoTime()}. Production uses {@link #SYSTEM}; a test may pass a
 * clock it advances by hand, so a timer set for 100 ms is seen not to fire at 99 ms and to fire at
 * 100, with no waiting and no slack for a slow machine.
 *
 * <p>The timer thread sleeps for as many real nanoseconds as the clock says are left until the
 * next due timer, so a clock that only moves when told must also say when it moves: the timer
 * thread {@linkplain #follow follows} it, and the clock wakes it on every jump. The watchdog that
 * looks for work held up behind a long turn keeps to real time (its naps are real
 * {@code parkNanos}, whatever the clock).
 */
@FunctionalInterface
public interface NanoClock {

    /** {@link System#nanoTime()}: time passes by itself, and nobody follows it. */
    NanoClock SYSTEM = new NanoClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public String toString() {
            return "system clock";
        }
    };

    /** Now, in nanoseconds from an arbitrary origin. */
    long nanoTime();

    /**
     * Registers {@code follower} (a node's timer thread) to be woken whenever this clock's time
     * jumps rather than passes, and returns what unregisters it. Clocks whose time just passes,
     * as {@link #SYSTEM}'s, have nothing to tell and ignore it.
     */
    default Runnable follow(Follower follower) {
        return () -> {};
    }

    /** What follows a clock that jumps: a node's timer thread. */
    interface Follower {

        /** The clock jumped: look at the time again. Called on the thread that moved the clock. */
        void wake();

        /**
         * The latest time (of this clock) the follower has dealt with: every timer due by then
         * has fired. A clock that jumps may wait for this to reach the new time before it returns.
         */
        long caughtUpTo();
    }
}
