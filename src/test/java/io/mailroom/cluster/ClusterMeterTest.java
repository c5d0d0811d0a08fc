package io.mailroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.mailroom.chat.RoomOrder;
import io.mailroom.testing.Waits;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ClusterMetrics} and {@link ClusterGauges} without Spring, on a real redis-server: a round
 * trip is on its meter before anyone waiting on it hears the answer; the subscribed-rooms gauge
 * stays exact, and Redis's own subscriptions with it, under concurrent subscribes and unsubscribes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterMeterTest {
    static RedisServer redis;
    static RedisClient client;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.startNew();
        client = RedisClient.create(redis.url());
    }

    @AfterAll
    static void stopRedis() {
        if (client != null) {
            client.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static double count(MeterRegistry registry, String name, String op) {
        return registry.get(name).tag("op", op).counter().count();
    }

    @Test
    void aRoundTripIsOnItsMeterBeforeWhoeverWaitsOnItHearsTheAnswer() {
        MeterRegistry registry = new SimpleMeterRegistry();
        ClusterMetrics metrics = new ClusterMetrics(registry);
        CompletableFuture<String> answer = new CompletableFuture<>();
        AtomicLong seen = new AtomicLong(-1);
        CompletionStage<String> timed = metrics.timed(ClusterMetrics.Op.APPEND, () -> answer);
        timed.thenRun(() -> seen.set(registry.get("mailroom.cluster.redis").tag("op", "append").timer().count()));
        assertThat(seen).hasValue(-1);
        answer.complete("OK");
        assertThat(seen).as("timer count seen by the stage's dependent").hasValue(1);
        assertThat(count(registry, "mailroom.cluster.redis.failures", "append")).isZero();
    }

    @Test
    void aFailedRoundTripIsCountedAsAFailureAndNotTimed() {
        MeterRegistry registry = new SimpleMeterRegistry();
        ClusterMetrics metrics = new ClusterMetrics(registry);
        CompletionStage<String> failed = metrics.timed(ClusterMetrics.Op.FILL,
                () -> CompletableFuture.failedFuture(new IllegalStateException("refused")));
        assertThat(failed.toCompletableFuture()).isCompletedExceptionally();
        assertThatThrownBy(() -> metrics.timed(ClusterMetrics.Op.PING, () -> {
            throw new IllegalStateException("thrown at once");
        })).hasMessage("thrown at once");
        assertThat(count(registry, "mailroom.cluster.redis.failures", "fill")).isEqualTo(1);
        assertThat(count(registry, "mailroom.cluster.redis.failures", "ping")).isEqualTo(1);
        assertThat(registry.get("mailroom.cluster.redis").tag("op", "fill").timer().count()).isZero();
        assertThat(registry.get("mailroom.cluster.redis").tag("op", "ping").timer().count()).isZero();
    }

    @Test
    void theNodeCountExistsOnlyWhenPresenceProvidesOne() {
        try (RedisRoomOrder order = RedisRoomOrder.connect(client, 10, new ClusterMetrics(new SimpleMeterRegistry()))) {
            MeterRegistry without = new SimpleMeterRegistry();
            new ClusterGauges(order, null).bindTo(without);
            assertThat(without.find("mailroom.cluster.nodes").gauge()).isNull();
            assertThat(without.get("mailroom.cluster.redis.up").gauge().value()).isEqualTo(1);

            MeterRegistry with = new SimpleMeterRegistry();
            new ClusterGauges(order, () -> 3).bindTo(with);
            assertThat(with.get("mailroom.cluster.nodes").gauge().value()).isEqualTo(3);
        }
    }

    /**
     * Eight room processes' worth of feeds on 100 rooms, subscribing and unsubscribing at once:
     * each room is counted once while any feed holds it, and when the last goes Redis has no
     * subscription left either (a lost unsubscribe would leave a channel; a lost feed, a wrong count).
     */
    @Test
    void subscribedRoomsStayExactUnderConcurrentSubscribesAndUnsubscribes() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        ClusterMetrics metrics = new ClusterMetrics(registry);
        int threads = 8;
        int rooms = 100;
        // Every worker blocks on the latches, so each needs a thread of its own: on the common
        // pool (one thread on a two-core machine) the first worker waits forever for the rest.
        try (ExecutorService pool = Executors.newFixedThreadPool(threads);
             RedisRoomOrder order = RedisRoomOrder.connect(client, 10, metrics);
             StatefulRedisConnection<String, String> look = client.connect()) {
            new ClusterGauges(order, null).bindTo(registry);
            String prefix = "stress-" + System.nanoTime() + "-";
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch halfway = new CountDownLatch(threads);
            CountDownLatch finish = new CountDownLatch(1);
            List<CompletableFuture<Void>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                RoomOrder.Feed feed = new IgnoringFeed();
                workers.add(CompletableFuture.runAsync(() -> {
                    await(start);
                    List<CompletableFuture<Void>> subscribed = new ArrayList<>();
                    for (int r = 0; r < rooms; r++) {
                        subscribed.add(order.subscribe(prefix + r, feed).toCompletableFuture());
                    }
                    CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).join();
                    for (int r = 0; r < rooms; r++) {
                        if (r % threads != me) {
                            order.unsubscribe(prefix + r, feed);
                        }
                    }
                    halfway.countDown();
                    await(finish);
                    for (int r = me; r < rooms; r += threads) {
                        order.unsubscribe(prefix + r, feed);
                    }
                }, pool));
            }
            start.countDown();
            assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
            // every room keeps exactly one feed: that of the thread it belongs to
            assertThat(registry.get("mailroom.cluster.subscribed.rooms").gauge().value()).isEqualTo(rooms);
            assertThat(count(registry, "mailroom.cluster.redis.failures", "subscribe")).isZero();
            assertThat(registry.get("mailroom.cluster.redis").tag("op", "subscribe").timer().count())
                    .isEqualTo(threads * rooms);
            Waits.eventually().until(() -> channels(order, look, prefix).size() == rooms);

            finish.countDown();
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(registry.get("mailroom.cluster.subscribed.rooms").gauge().value()).isZero();
            Waits.eventually().until(() -> channels(order, look, prefix).isEmpty());
        }
    }

    /** The room channels Redis has subscribers for, plain or shard ones as the order uses. */
    private static List<String> channels(RedisRoomOrder order, StatefulRedisConnection<String, String> look, String prefix) {
        String pattern = "mailroom:{room:" + prefix + "*";
        return order.sharded() ? look.sync().pubsubShardChannels(pattern) : look.sync().pubsubChannels(pattern);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final class IgnoringFeed implements RoomOrder.Feed {
        @Override
        public void published(RoomOrder.Stored message) {}

        @Override
        public void reconnected() {}

        @Override
        public void disconnected() {}
    }
}
