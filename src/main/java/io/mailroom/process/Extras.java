package io.mailroom.process;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parts of a process that most processes never use, allocated on first use so that an idle
 * process without links, monitors, a name or deferred messages stays small.
 *
 * <p>Written only by the owning process on its turn (except {@link #queued}, counted by senders).
 * The link and monitor tables are concurrent so that introspection from other threads can read
 * them without locks.
 */
final class Extras {
    volatile String name;
    volatile boolean trapExits;

    volatile Set<Cell<?>> links;
    /** Monitors this process holds: ref to target. */
    volatile Map<MonitorRef, Pid<?>> monitoring;
    /** Monitors held on this process: ref to the watcher. */
    volatile Map<MonitorRef, Receiver> monitoredBy;

    /** Selective receive: messages left in the mailbox under the current behaviour, in arrival order. */
    ArrayDeque<Object> deferred;
    /** Deferred messages to offer again, ahead of the queue, after a behaviour change. */
    ArrayDeque<Object> replay;

    /** Messages queued, kept only for bounded mailboxes. */
    final AtomicInteger queued;

    /** Who traces this process ({@link Node#trace}), or null; set and cleared from other threads. */
    volatile Tracer tracer;

    TimerRef receiveTimer;
    long timeoutGeneration;

    Extras(boolean bounded) {
        this.queued = bounded ? new AtomicInteger() : null;
    }

    Set<Cell<?>> links() {
        Set<Cell<?>> l = links;
        if (l == null) {
            links = l = ConcurrentHashMap.newKeySet(4);
        }
        return l;
    }

    Map<MonitorRef, Pid<?>> monitoring() {
        Map<MonitorRef, Pid<?>> m = monitoring;
        if (m == null) {
            monitoring = m = new ConcurrentHashMap<>(4);
        }
        return m;
    }

    Map<MonitorRef, Receiver> monitoredBy() {
        Map<MonitorRef, Receiver> m = monitoredBy;
        if (m == null) {
            monitoredBy = m = new ConcurrentHashMap<>(4);
        }
        return m;
    }

    ArrayDeque<Object> deferred() {
        ArrayDeque<Object> d = deferred;
        if (d == null) {
            deferred = d = new ArrayDeque<>();
        }
        return d;
    }

    int deferredCount() {
        ArrayDeque<Object> d = deferred;
        ArrayDeque<Object> r = replay;
        return (d == null ? 0 : d.size()) + (r == null ? 0 : r.size());
    }
}
