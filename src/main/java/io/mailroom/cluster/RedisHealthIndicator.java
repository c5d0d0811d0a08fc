package io.mailroom.cluster;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code redis} health contributor (cluster mode only): DOWN while Redis does not answer a
 * PING within {@code mailroom.cluster.redis.timeout}. It belongs to readiness, not liveness: a node
 * without Redis keeps its sockets and refuses what it cannot order; restarting it would not help.
 */
public class RedisHealthIndicator implements HealthIndicator {
    private final RedisRoomOrder order;
    private final Duration timeout;

    public RedisHealthIndicator(RedisRoomOrder order, Duration timeout) {
        this.order = order;
        this.timeout = timeout;
    }

    @Override
    public Health health() {
        long start = System.nanoTime();
        try {
            String pong = order.ping().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return Health.up().withDetail("ping", pong)
                    .withDetail("roundTripMillis", (System.nanoTime() - start) / 1_000_000.0).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.down(e).build();
        } catch (Exception e) {
            return Health.down().withDetail("error", String.valueOf(e.getCause() != null ? e.getCause() : e)).build();
        }
    }
}
