package io.mailroom.cluster;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The cluster's gauges, read when scraped (cluster mode only):
 * <pre>
 * mailroom_cluster_redis_up           gauge 1 while both connections to Redis (commands, subscriptions) are open, else 0
 * mailroom_cluster_subscribed_rooms   gauge rooms this node is subscribed to: those with a room process here
 * mailroom_cluster_nodes              gauge nodes in the cluster, only when presence provides a {@link ClusterNodes}
 * </pre>
 * {@code redis_up} is the client's view of its connections, at no cost; a Redis that hangs without
 * closing them shows as {@code mailroom_cluster_redis_failures_total} (timeouts) and in the health
 * check's PING.
 */
public final class ClusterGauges implements MeterBinder {
    private final RedisRoomOrder order;
    private final ClusterNodes nodes;

    /** {@code nodes} may be null: then there is no node count. */
    public ClusterGauges(RedisRoomOrder order, ClusterNodes nodes) {
        this.order = order;
        this.nodes = nodes;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("mailroom.cluster.redis.up", order, o -> o.connected() ? 1 : 0)
                .description("1 while this node's connections to Redis are open, else 0")
                .strongReference(true).register(registry);
        Gauge.builder("mailroom.cluster.subscribed.rooms", order, RedisRoomOrder::subscribedRooms)
                .description("rooms whose publications this node receives")
                .strongReference(true).register(registry);
        if (nodes != null) {
            Gauge.builder("mailroom.cluster.nodes", nodes, ClusterNodes::count)
                    .description("nodes in the cluster, this one included")
                    .strongReference(true).register(registry);
        }
    }
}
