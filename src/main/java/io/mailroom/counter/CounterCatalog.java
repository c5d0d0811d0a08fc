package io.mailroom.counter;

import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The counters that exist, with their initial values and start counts. It outlives the counter
 * processes and their supervisor (as an ETS table owned by a longer-lived process would), so
 * when the counters supervisor is itself restarted it starts every counter again.
 */
@Component
public class CounterCatalog {
    private static final SpawnOptions COUNTER = SpawnOptions.ofType("counter");

    private final ConcurrentSkipListMap<String, Entry> entries = new ConcurrentSkipListMap<>();

    /** Adds a counter; empty if the name exists. */
    Optional<Entry> add(String name, long initial) {
        Entry entry = new Entry(name, initial);
        return entries.putIfAbsent(name, entry) == null ? Optional.of(entry) : Optional.empty();
    }

    Optional<Entry> get(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    boolean remove(Entry entry) {
        return entries.remove(entry.name(), entry);
    }

    /** Every counter, sorted by name. */
    List<Entry> all() {
        return new ArrayList<>(entries.values());
    }

    /** Child specs for every counter, in name order: what the counters supervisor starts with. */
    public List<ChildSpec<?>> childSpecs() {
        List<ChildSpec<?>> specs = new ArrayList<>();
        for (Entry e : entries.values()) {
            specs.add(e.childSpec());
        }
        return specs;
    }

    static String processName(String counter) {
        return "counter:" + counter;
    }

    /** One counter's lasting facts. */
    static final class Entry {
        private final String name;
        private final long initial;
        private final AtomicLong starts = new AtomicLong();

        Entry(String name, long initial) {
            this.name = name;
            this.initial = initial;
        }

        String name() {
            return name;
        }

        long initial() {
            return initial;
        }

        void started() {
            starts.incrementAndGet();
        }

        /** Starts after the first: each restart by the counters supervisor or by an escalation. */
        long restarts() {
            return Math.max(0, starts.get() - 1);
        }

        ChildSpec<Counter.Msg> childSpec() {
            return ChildSpec.worker(processName(name), () -> Counter.starting(this))
                    .withOptions(COUNTER.withName(processName(name)))
                    .withRestart(Restart.PERMANENT);
        }
    }
}
