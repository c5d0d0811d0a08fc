package io.mailroom.observe;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.process.Tracer;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One live trace of one process: the {@link Tracer} the process calls on its own turn, and the
 * bounded buffer between it and the (possibly slow) HTTP client. The process side never blocks
 * and never holds more than {@code buffer} events: beyond the rate cap or a full buffer an event
 * is counted as dropped, not kept. The client side takes events with {@link #next}.
 */
final class TraceSession implements Tracer {

    /** One message handled, as the stream's {@code data:} line carries it. */
    record Event(String time, String type, String message, String outcome) {}

    private final TraceRendering rendering;
    private final int perSecond;
    private final ArrayBlockingQueue<Event> events;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    // the rate window: touched only on the traced process's turns, which never overlap
    private long windowStart = System.nanoTime();
    private int inWindow;
    private volatile ExitReason endedWith;

    TraceSession(int textLimit, int perSecond, int buffer) {
        this.rendering = new TraceRendering(textLimit);
        this.perSecond = perSecond;
        this.events = new ArrayBlockingQueue<>(buffer);
    }

    @Override
    public void handled(Pid<?> process, Object message, Outcome outcome) {
        long now = System.nanoTime();
        if (now - windowStart >= 1_000_000_000L) {
            windowStart = now;
            inWindow = 0;
        }
        if (inWindow >= perSecond) {
            dropped.incrementAndGet();
            return;
        }
        inWindow++;
        Event e = new Event(Instant.now().toString(), TraceRendering.type(message), rendering.render(message),
                outcome.label());
        if (events.offer(e)) {
            accepted.incrementAndGet();
        } else {
            dropped.incrementAndGet(); // the client is not keeping up: its loss, not the process's
        }
    }

    @Override
    public void ended(Pid<?> process, ExitReason reason) {
        endedWith = reason;
    }

    /** The next event, waiting up to {@code millis}; null if none came. */
    Event next(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** An event already waiting, or null. */
    Event poll() {
        return events.poll();
    }

    /** How the process ended, once it has (and every event before its end is in the buffer); else null. */
    ExitReason endedWith() {
        return endedWith;
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    long dropped() {
        return dropped.get();
    }

    long accepted() {
        return accepted.get();
    }
}
