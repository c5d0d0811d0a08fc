package io.mailroom.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a node in cluster mode does with Redis, as meters (protocol.md §4, v1.1 additions); none
 * exists on a single node. No tag names a room, a user or a pid:
 * <pre>
 * mailroom_cluster_redis_seconds{op}            histogram round trips Redis answered, by op
 * mailroom_cluster_redis_failures_total{op}     counter   round trips that failed: refused while disconnected, timed out, or an error
 * mailroom_cluster_publishes_total              counter   messages this node stored and published (its members' sends)
 * mailroom_cluster_publications_received_total  counter   publications this node's subscriptions received (every node's messages in its rooms)
 * mailroom_cluster_gap_fills_total              counter   reads of a room's stream for messages its subscription missed
 * </pre>
 * and the gauges of {@link ClusterGauges}. Unlike the runtime's meters these are recorded as things
 * happen, but only per Redis round trip, which costs a network hop: a timer's few atomic adds are
 * nothing beside it.
 */
public final class ClusterMetrics {

    /** What a round trip to Redis does; its name is the {@code op} tag. */
    public enum Op {
        /** The script that sequences, stores, trims and publishes one message. */
        APPEND,
        /** A room's newest history, when it (re)subscribes. */
        READ,
        /** The messages after a seq, to fill a gap in what was published. */
        FILL,
        /** Subscribing to a room's channel. */
        SUBSCRIBE,
        /** The health check's PING. */
        PING,
        /** Claiming, renewing or releasing a name's lease ({@link RedisNames}). */
        NAME;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Buckets from a local Redis's fraction of a millisecond to the default command timeout (2 s):
     * fixed, so each op costs 13 series rather than a percentile histogram's ~60.
     */
    static final Duration[] BUCKETS = {
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2)};

    private final Map<Op, Timer> roundTrips = new EnumMap<>(Op.class);
    private final Map<Op, Counter> failures = new EnumMap<>(Op.class);
    private final Counter publishes;
    private final Counter received;
    private final Counter gapFills;

    /** Registers every op's series at once, so that each reads 0 rather than being absent until used. */
    public ClusterMetrics(MeterRegistry registry) {
        for (Op op : Op.values()) {
            roundTrips.put(op, Timer.builder("mailroom.cluster.redis")
                    .description("Redis round trips answered, by what they do")
                    .tag("op", op.tag())
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry));
            failures.put(op, Counter.builder("mailroom.cluster.redis.failures")
                    .description("Redis round trips that failed: refused while disconnected, timed out, or an error")
                    .tag("op", op.tag())
                    .register(registry));
        }
        publishes = Counter.builder("mailroom.cluster.publishes")
                .description("messages this node stored and published through Redis")
                .register(registry);
        received = Counter.builder("mailroom.cluster.publications.received")
                .description("publications this node's room subscriptions received from Redis")
                .register(registry);
        gapFills = Counter.builder("mailroom.cluster.gap.fills")
                .description("reads of a room's stream for messages its subscription missed")
                .register(registry);
    }

    /**
     * Makes the call and times it until its stage completes: answered, in {@code op}'s timer; failed,
     * in its failures. The stage returned completes after that, so whoever waits on it (a room's
     * process, and through it a client's ack) never sees a meter lag what it was told.
     */
    public <T> CompletionStage<T> timed(Op op, Supplier<? extends CompletionStage<T>> call) {
        long start = System.nanoTime();
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            failures.get(op).increment();
            throw e;
        }
        return stage.whenComplete((result, failure) -> {
            if (failure == null) {
                roundTrips.get(op).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            } else {
                failures.get(op).increment();
            }
        });
    }

    /** A message of this node's is stored and published. */
    public void published() {
        publishes.increment();
    }

    /** A publication came in on this node's subscriptions. */
    public void received() {
        received.increment();
    }

    /** A room reads its stream for what its subscription missed. */
    public void gapFill() {
        gapFills.increment();
    }
}
