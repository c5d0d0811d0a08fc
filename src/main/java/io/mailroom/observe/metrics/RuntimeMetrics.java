package io.mailroom.observe.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.mailroom.process.Node;
import io.mailroom.process.NodeStats;
import io.mailroom.process.SchedulerStats;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The process runtime's meters (protocol.md §4), all read from the runtime's own counters when
 * scraped, so metrics add nothing to the message path:
 * <pre>
 * mailroom_processes{type}                gauge    live processes by type
 * mailroom_mailbox_messages{type}         gauge    messages queued, summed over the type
 * mailroom_mailbox_depth_max{type}        gauge    deepest mailbox of the type
 * mailroom_messages_sent_total            counter  messages put into mailboxes
 * mailroom_process_exits_total{reason}    counter  normal, shutdown, crash, killed, other
 * mailroom_scheduler_run_queue{scheduler} gauge    processes waiting per scheduler (0..N-1, and "shared")
 * mailroom_scheduler_parks_total{scheduler}   counter times a scheduler thread parked
 * mailroom_scheduler_unparks_total{scheduler} counter times it was unparked to look for work
 * mailroom_scheduler_steals_total{scheduler}  counter times it took work (half a queue) from another
 * mailroom_scheduler_spins_total{scheduler}   counter times it spun looking for work before parking
 * </pre>
 * The last four are beyond protocol.md §4's list (which they extend, changing none of it): a
 * storm of park/unpark cycles or of steals costs CPU that no per-process meter shows.
 * Per-type gauges come from one {@link ProcessCensus} scan per scrape. The types the app declares
 * (given to the constructor) are registered up front, so they read 0 rather than being absent; a
 * type first seen in a scan gets its gauges then (at most {@value #MAX_TYPES} types, so a bug
 * cannot explode the series count). This class knows no process type of its own.
 */
public final class RuntimeMetrics implements MeterBinder {
    /** Exit reasons as exported; the runtime's {@code noproc} (never a real exit) counts with {@code other}. */
    public static final List<String> EXIT_REASONS = List.of("normal", "shutdown", "crash", "killed", "other");
    static final int MAX_TYPES = 64;

    private final Node node;
    private final ProcessCensus census;
    /** Types every scrape reports, alive or not. */
    private final List<String> knownTypes;
    private final Set<String> typesRegistered = ConcurrentHashMap.newKeySet();
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

    /**
     * Per-type sums are rescanned at most once per {@code censusMaxAgeMillis}; {@code knownTypes}
     * are reported from the first scrape on, alive or not.
     */
    public RuntimeMetrics(Node node, long censusMaxAgeMillis, Collection<String> knownTypes) {
        this.node = node;
        this.knownTypes = List.copyOf(new LinkedHashSet<>(knownTypes));
        this.census = new ProcessCensus(node, TimeUnit.MILLISECONDS.toNanos(censusMaxAgeMillis));
        this.census.onScan(snapshot -> snapshot.byType().keySet().forEach(this::registerType));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Set<String> types = new LinkedHashSet<>(knownTypes);
        types.addAll(typesRegistered);
        for (String type : types) {
            registerType(registry, type);
        }

        FunctionCounter.builder("mailroom.messages.sent", node, n -> n.stats().messagesSent())
                .description("Messages put into mailboxes")
                .register(registry);
        for (String reason : EXIT_REASONS) {
            FunctionCounter.builder("mailroom.process.exits", node, n -> exits(n.stats(), reason))
                    .description("Processes ended, by exit reason")
                    .tag("reason", reason)
                    .register(registry);
        }

        List<SchedulerStats> schedulers = node.schedulerStats();
        for (SchedulerStats s : schedulers) {
            int index = s.index();
            Gauge.builder("mailroom.scheduler.run.queue", node, n -> runQueue(n, index))
                    .description("Processes waiting in a scheduler's run queue")
                    .tag("scheduler", Integer.toString(index))
                    .strongReference(true)
                    .register(registry);
            schedulerCounter(registry, "mailroom.scheduler.parks", "Times a scheduler thread parked",
                    index, SchedulerStats::parks);
            schedulerCounter(registry, "mailroom.scheduler.unparks", "Times a scheduler thread was unparked to look for work",
                    index, SchedulerStats::unparks);
            schedulerCounter(registry, "mailroom.scheduler.steals", "Times a scheduler thread took work from another's queue",
                    index, SchedulerStats::steals);
            schedulerCounter(registry, "mailroom.scheduler.spins", "Times a scheduler thread spun looking for work before parking",
                    index, SchedulerStats::spins);
        }
        Gauge.builder("mailroom.scheduler.run.queue", node, Node::sharedRunQueue)
                .description("Processes waiting in a scheduler's run queue")
                .tag("scheduler", "shared")
                .strongReference(true)
                .register(registry);
    }

    private static double exits(NodeStats stats, String reason) {
        if (!"other".equals(reason)) {
            return stats.exitsByReason().getOrDefault(reason, 0L);
        }
        return stats.exitsByReason().getOrDefault("other", 0L) + stats.exitsByReason().getOrDefault("noproc", 0L);
    }

    private void schedulerCounter(MeterRegistry registry, String name, String description, int index,
                                  ToLongFunction<SchedulerStats> count) {
        FunctionCounter.builder(name, node, n -> {
                    List<SchedulerStats> stats = n.schedulerStats();
                    return index < stats.size() ? count.applyAsLong(stats.get(index)) : 0;
                })
                .description(description)
                .tag("scheduler", Integer.toString(index))
                .register(registry);
    }

    private static double runQueue(Node node, int index) {
        List<SchedulerStats> stats = node.schedulerStats();
        return index < stats.size() ? stats.get(index).runQueue() : 0;
    }

    private void registerType(String type) {
        if (typesRegistered.contains(type) || typesRegistered.size() >= MAX_TYPES) {
            return;
        }
        for (MeterRegistry registry : registries) {
            registerType(registry, type);
        }
    }

    private void registerType(MeterRegistry registry, String type) {
        typesRegistered.add(type);
        Gauge.builder("mailroom.processes", census, c -> c.snapshot().of(type).processes())
                .description("Live processes by type")
                .tag("type", type)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mailroom.mailbox.messages", census, c -> c.snapshot().of(type).mailboxMessages())
                .description("Messages waiting in mailboxes, summed over the type")
                .tag("type", type)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mailroom.mailbox.depth.max", census, c -> c.snapshot().of(type).maxMailboxDepth())
                .description("The deepest mailbox of the type")
                .tag("type", type)
                .strongReference(true)
                .register(registry);
    }
}
