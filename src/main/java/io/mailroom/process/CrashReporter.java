package io.mailroom.process;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one concise report per crashed process (pid, name, type of the last message, exception),
 * at most {@code perSecond} a second; the rest are counted and summed up in one line, so a crash
 * storm cannot flood the log or slow the schedulers.
 */
final class CrashReporter {
    private static final Logger LOG = LoggerFactory.getLogger("io.mailroom.process.crash");

    private final int perSecond;
    /** The current second and the reports logged in it, swapped as one so no report escapes the count. */
    private final AtomicReference<Window> window = new AtomicReference<>(new Window(Long.MIN_VALUE, 0));
    private final AtomicLong suppressed = new AtomicLong();

    private record Window(long second, int reported) {}

    CrashReporter(int perSecond) {
        this.perSecond = perSecond;
    }

    void report(Cell<?> cell, Object lastMessage, Throwable error) {
        long second = System.nanoTime() / 1_000_000_000L;
        for (;;) {
            Window w = window.get();
            boolean newSecond = second > w.second(); // a late reader of the clock counts in the current window
            if (perSecond <= 0 || !newSecond && w.reported() >= perSecond) {
                suppressed.incrementAndGet();
                return;
            }
            if (window.compareAndSet(w, new Window(newSecond ? second : w.second(), newSecond ? 1 : w.reported() + 1))) {
                if (newSecond) {
                    long dropped = suppressed.getAndSet(0);
                    if (dropped > 0) {
                        LOG.error("{} more process crash reports suppressed (limit {} a second)", dropped, perSecond);
                    }
                }
                break;
            }
        }
        String name = cell.registeredName();
        String last = lastMessage == null ? "none"
                : lastMessage instanceof String s ? s : lastMessage.getClass().getSimpleName();
        try {
            LOG.error("process {}{} ({}) crashed handling {}: {}", cell, name == null ? "" : " " + name,
                    cell.type(), last, error.toString(), error);
        } catch (Throwable unprintable) {
            // called on a scheduler thread: a throwable that cannot print itself must not take it down
            LOG.error("process {}{} ({}) crashed handling {} with a {} that could not be printed", cell,
                    name == null ? "" : " " + name, cell.type(), last, error.getClass().getName());
        }
    }

    long suppressedSoFar() {
        return suppressed.get();
    }
}
