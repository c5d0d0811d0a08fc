package io.mailroom.counter;

import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;

/**
 * The counters that exist, with their initial values and start counts. It outlives the counter
 * processes and their supervisor (as an ETS table owned by a longer-lived process would), so
 * when the counters supervisor is itself restarted it starts every counter again.
 */
@Component
public class CounterCatalog {
    /** The process type of a counter. */
    static final String TYPE = "counter";
    private static final SpawnOptions COUNTER = SpawnOptions.ofType(TYPE);

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

    /**
     * One counter's lasting facts, and its current process: each incarnation hands its pid over as
     * it starts, so a caller that found the last one dead waits on a future the next one completes,
     * instead of asking the registry again and again.
     */
    static final class Entry {
        private final String name;
        private final long initial;
        private final AtomicLong starts = new AtomicLong();
        /** The latest incarnation's pid, or a future its first (or next) start completes. */
        private final AtomicReference<CompletableFuture<Pid<Counter.Msg>>> incarnation =
                new AtomicReference<>(new CompletableFuture<>());
        private volatile boolean removed;

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

        /** Called by each incarnation's setup, on its own turn: it is the counter's process from now on. */
        void started(Pid<Counter.Msg> pid) {
            starts.incrementAndGet();
            while (true) {
                CompletableFuture<Pid<Counter.Msg>> current = incarnation.get();
                if (!current.isDone()) {
                    current.complete(pid); // someone waits for exactly this start
                    return;
                }
                if (incarnation.compareAndSet(current, CompletableFuture.completedFuture(pid))) {
                    return;
                }
            }
        }

        /** The counter's latest process (maybe dead by now), or a future of its first start. */
        CompletableFuture<Pid<Counter.Msg>> current() {
            return incarnation.get();
        }

        /**
         * A process other than {@code gone} (which ended): the next incarnation's pid once it has
         * started; fails with {@link CounterException.Kind#NOT_FOUND} if the counter is deleted first.
         */
        CompletableFuture<Pid<Counter.Msg>> after(Pid<Counter.Msg> gone) {
            while (true) {
                CompletableFuture<Pid<Counter.Msg>> current = incarnation.get();
                if (!current.isDone() || current.isCompletedExceptionally() || current.join() != gone) {
                    return current;
                }
                CompletableFuture<Pid<Counter.Msg>> next = new CompletableFuture<>();
                if (incarnation.compareAndSet(current, next)) {
                    if (removed) {
                        next.completeExceptionally(CounterException.notFound(name));
                    }
                    return next;
                }
            }
        }

        /** The counter was deleted and its process stopped: whoever still waits for a next one hears not found. */
        void removed() {
            removed = true;
            incarnation.get().completeExceptionally(CounterException.notFound(name));
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
