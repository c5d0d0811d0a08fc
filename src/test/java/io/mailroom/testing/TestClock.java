package io.mailroom.testing;

import io.mailroom.process.NanoClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A clock that stands still until a test moves it: for a node's timers
 * ({@code NodeConfig.withClock}, or {@code @TestNode(testClock = true)}), or for any class that
 * takes a nanosecond clock ({@code clock::nanoTime}).
 *
 * <p>{@link #advance} returns once every node on this clock has dealt with the new time: each
 * timer that was pending before the call and is due by the new time has fired (its message is in
 * the target's mailbox, or its future is complete), and none due later has. So after
 * {@code advance(99 ms)} a 100 ms timer is certainly still pending, and after one more millisecond
 * it has certainly fired: no waiting on real time, no slack for a slow machine. (What a process
 * then does with the message happens on a scheduler thread, as ever, and is waited for as ever.)
 */
public final class TestClock implements NanoClock {
    /** Not zero, so nothing passes that confuses "no time" with "the start". */
    private static final long START = TimeUnit.DAYS.toNanos(1);

    private final AtomicLong now = new AtomicLong(START);
    private final List<Follower> followers = new CopyOnWriteArrayList<>();

    @Override
    public long nanoTime() {
        return now.get();
    }

    /** How far the clock has been advanced since it was made. */
    public Duration elapsed() {
        return Duration.ofNanos(now.get() - START);
    }

    /**
     * Moves the clock on by {@code step} and waits (at most {@link Waits#WAIT}, real time) until
     * every node following it has fired what is due by then.
     *
     * @throws IllegalArgumentException if {@code step} is negative: this clock never goes back
     * @throws IllegalStateException    if a node's timer thread did not catch up in time
     */
    public void advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back: " + step);
        }
        long target = now.addAndGet(step.toNanos());
        for (Follower f : followers) {
            f.wake();
        }
        long giveUp = System.nanoTime() + Waits.WAIT.toNanos();
        for (Follower f : followers) {
            while (f.caughtUpTo() < target) {
                if (System.nanoTime() - giveUp > 0) {
                    throw new IllegalStateException("a timer thread did not catch up with the test clock at "
                            + elapsed() + " in " + Waits.WAIT + " (it is at "
                            + Duration.ofNanos(f.caughtUpTo() - START) + ")");
                }
                f.wake(); // cheap, and covers a wake-up consumed by a turn that read the time before the jump
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /** {@link #advance(Duration)} by {@code millis} milliseconds. */
    public void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }

    @Override
    public Runnable follow(Follower follower) {
        followers.add(follower);
        return () -> followers.remove(follower);
    }

    /** Nodes (timer threads) following this clock now: 0 once they have all shut down. */
    public int followers() {
        return followers.size();
    }

    @Override
    public String toString() {
        return "test clock at +" + elapsed();
    }
}
