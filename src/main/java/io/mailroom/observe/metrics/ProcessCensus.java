package io.mailroom.observe.metrics;

import io.mailroom.process.Node;
import io.mailroom.process.ProcessView;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-type sums over every live process (how many, messages queued, deepest mailbox), taken in one
 * scan of the process table with {@link Node#forEachProcess} and reused for {@code maxAge}: several
 * gauges read it during one scrape, and a scrape of a node with a million processes costs one pass.
 * Nothing is counted on the message path; the numbers come from the runtime's own fields.
 *
 * <p>Thread-safe. A scan runs on the thread that finds the snapshot stale; concurrent readers wait
 * for it rather than scanning twice.
 */
public final class ProcessCensus {

    /** One type's totals. */
    public record TypeStats(int processes, long mailboxMessages, int maxMailboxDepth) {
        static final TypeStats NONE = new TypeStats(0, 0, 0);
    }

    /** One scan's result: totals by type label. */
    public record Snapshot(long takenAtNanos, Map<String, TypeStats> byType) {
        public TypeStats of(String type) {
            return byType.getOrDefault(type, TypeStats.NONE);
        }
    }

    private final Node node;
    private final long maxAgeNanos;
    private volatile Snapshot last;
    private volatile Consumer<Snapshot> onScan = s -> { };

    public ProcessCensus(Node node, long maxAgeNanos) {
        this.node = node;
        this.maxAgeNanos = maxAgeNanos;
    }

    /** Called after every fresh scan (on the scanning thread): how new types get their meters. */
    public void onScan(Consumer<Snapshot> listener) {
        this.onScan = listener;
    }

    /** The latest snapshot, scanning again if it is older than the maximum age. */
    public Snapshot snapshot() {
        Snapshot s = last;
        if (s != null && System.nanoTime() - s.takenAtNanos() < maxAgeNanos) {
            return s;
        }
        synchronized (this) {
            s = last;
            if (s == null || System.nanoTime() - s.takenAtNanos() >= maxAgeNanos) {
                s = scan();
                last = s;
                onScan.accept(s);
            }
            return s;
        }
    }

    private Snapshot scan() {
        Map<String, long[]> sums = new HashMap<>();
        // processes of one type tend to share one String instance: skip the map while it repeats
        Consumer<ProcessView> visitor = new Consumer<>() {
            String lastType;
            long[] lastSums;

            @Override
            public void accept(ProcessView p) {
                String type = p.type();
                long[] acc = type == lastType ? lastSums : sums.computeIfAbsent(type, t -> new long[3]);
                lastType = type;
                lastSums = acc;
                int depth = p.mailboxDepth();
                acc[0]++;
                acc[1] += depth;
                if (depth > acc[2]) {
                    acc[2] = depth;
                }
            }
        };
        node.forEachProcess(visitor);
        Map<String, TypeStats> byType = new HashMap<>(sums.size() * 2);
        sums.forEach((type, a) -> byType.put(type, new TypeStats((int) a[0], a[1], (int) a[2])));
        return new Snapshot(System.nanoTime(), Collections.unmodifiableMap(byType));
    }
}
