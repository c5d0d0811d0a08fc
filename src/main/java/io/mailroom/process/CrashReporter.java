package io.mailroom.process;

import java.util.concurrent.atomic.AtomicLong;
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
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    CrashReporter(int perSecond) {
        this.perSecond = perSecond;
    }

    void report(Cell<?> cell, Object lastMessage, Throwable error) {
        long second = System.nanoTime() / 1_000_000_000L;
        long current = window.get();
        if (second != current && window.compareAndSet(current, second)) {
            inWindow.set(0);
            long dropped = suppressed.getAndSet(0);
            if (dropped > 0) {
                LOG.error("{} more process crash reports suppressed (limit {} a second)", dropped, perSecond);
            }
        }
        if (inWindow.incrementAndGet() > perSecond) {
            suppressed.incrementAndGet();
            return;
        }
        String name = cell.registeredName();
        String last = lastMessage == null ? "none"
                : lastMessage instanceof String s ? s : lastMessage.getClass().getSimpleName();
        LOG.error("process {}{} ({}) crashed handling {}: {}", cell, name == null ? "" : " " + name,
                cell.type(), last, error.toString(), error);
    }

    long suppressedSoFar() {
        return suppressed.get();
    }
}
