package io.mailroom.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.mailroom.config.ChatProperties;
import io.mailroom.config.ClusterProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Cluster mode, only with {@code mailroom.cluster.redis.url} set: the Redis client, the chat's
 * {@link io.mailroom.chat.RoomOrder}, {@link io.mailroom.chat.RoomPresence} and
 * {@link io.mailroom.chat.NameClaims} on it, the
 * {@code redis} health contributor and the {@code mailroom_cluster_*} meters. Without the setting
 * none of these beans exists and nothing connects to Redis.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "mailroom.cluster.redis", name = "url")
public class ClusterConfiguration {
    /** The longest wait between two tries to reach Redis again (Lettuce's own default doubles up to 30 s). */
    public static final Duration RECONNECT_AT_MOST = Duration.ofSeconds(1);

    /**
     * Lettuce's threads and timers, with tries to reconnect at most {@link #RECONNECT_AT_MOST}
     * apart: a node is back within about a second of Redis however long Redis was away (a try costs
     * one refused TCP connect per connection). Shut down after the client, which uses them.
     */
    @Bean(destroyMethod = "shutdown")
    public ClientResources redisResources() {
        return DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ZERO, RECONNECT_AT_MOST, 2, TimeUnit.MILLISECONDS))
                .build();
    }

    /**
     * Commands are refused at once while disconnected (never queued for later: a send answered
     * {@code unavailable} must not be stored afterwards) and time out after {@code redis.timeout};
     * the client reconnects by itself, and re-subscribes.
     */
    @Bean(destroyMethod = "shutdown")
    public RedisClient redisClient(ClientResources redisResources, ClusterProperties properties) {
        RedisClient client = RedisClient.create(redisResources, properties.redis().url());
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(properties.redis().timeout()))
                .build());
        return client;
    }

    @Bean
    public ClusterMetrics clusterMetrics(MeterRegistry registry) {
        return new ClusterMetrics(registry);
    }

    @Bean(destroyMethod = "close")
    public RedisRoomOrder redisRoomOrder(RedisClient client, ChatProperties chat, ClusterProperties cluster,
                                         ClusterMetrics metrics) {
        return RedisRoomOrder.connect(client, chat.historySize(), metrics);
    }

    /** Bound to the registry by Spring Boot; the node count only if presence provides one. */
    @Bean
    public ClusterGauges clusterGauges(RedisRoomOrder order, ObjectProvider<ClusterNodes> nodes) {
        return new ClusterGauges(order, nodes.getIfAvailable());
    }

    /** Presence across nodes; it shares the order's connections (see {@link RedisRoomPresence}), so it closes first. */
    @Bean(destroyMethod = "close")
    public RedisRoomPresence redisRoomPresence(RedisClient client, RedisRoomOrder order, ClusterProperties cluster) {
        return RedisRoomPresence.start(client, order, cluster.presenceTtl(), cluster.redis().timeout());
    }

    /**
     * Names across nodes; shares the order's connections, so it closes first (freeing this node's
     * names). Leases last {@code name-lease} (by default {@code presence-ttl}: a node that dies loses its
     * names within it, as its members).
     */
    @Bean(destroyMethod = "close")
    public RedisNames redisNames(RedisRoomOrder order, ClusterMetrics metrics, ClusterProperties cluster) {
        return RedisNames.start(order, metrics, cluster.nameLeaseOrTtl(), cluster.redis().timeout());
    }

    @Bean("redis")
    public RedisHealthIndicator redisHealthIndicator(RedisRoomOrder order, ClusterProperties cluster) {
        return new RedisHealthIndicator(order, cluster.redis().timeout());
    }
}
