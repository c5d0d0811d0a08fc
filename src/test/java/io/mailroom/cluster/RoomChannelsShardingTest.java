package io.mailroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.mailroom.chat.RoomOrder;
import io.mailroom.chat.RoomPresence;
import io.mailroom.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Room channels are shard channels where the server has them (protocol.md §5, issue 10: "sharded
 * pub/sub where the server has it"), on a real redis-server: the order's and presence's
 * publications go by SPUBLISH and arrive through SSUBSCRIBE, and Redis lists the channels as shard
 * channels, not as plain ones; told to use plain channels (a Redis before 7), the same works
 * through PUBLISH and SUBSCRIBE.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoomChannelsShardingTest {
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

    @Test
    void theServersVersionSaysWhetherItHasShardChannels() {
        assertThat(RedisRoomOrder.hasShardChannels("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n")).isTrue();
        assertThat(RedisRoomOrder.hasShardChannels("# Server\r\nredis_version:8.2.1\r\n")).isTrue();
        assertThat(RedisRoomOrder.hasShardChannels("# Server\r\nredis_version:6.2.14\r\n")).isFalse();
        assertThat(RedisRoomOrder.hasShardChannels("# Server\r\nredis_version:garbage\r\n")).isFalse();
        assertThat(RedisRoomOrder.hasShardChannels("# Server\r\n")).isFalse();
        assertThat((String) redis.call("INFO", "server")).contains("redis_version:7"); // Debian 12's, as CI installs
    }

    @Test
    void onRedisSevenRoomChannelsAreShardChannels() {
        try (RedisRoomOrder order = RedisRoomOrder.connect(client, 10, new ClusterMetrics(new SimpleMeterRegistry()))) {
            assertThat(order.sharded()).isTrue();
            publishesArriveOn(order, true);
        }
    }

    @Test
    void toldToUsePlainChannelsTheyArePlainOnes() {
        try (RedisRoomOrder order = RedisRoomOrder.connect(client, 10, new ClusterMetrics(new SimpleMeterRegistry()), false)) {
            assertThat(order.sharded()).isFalse();
            publishesArriveOn(order, false);
        }
    }

    /** A room's message and a presence join reach this node's feeds, over channels of the kind expected. */
    private static void publishesArriveOn(RedisRoomOrder order, boolean sharded) {
        String room = "shard-" + sharded + "-" + System.nanoTime();
        List<RoomOrder.Stored> messages = new CopyOnWriteArrayList<>();
        List<RoomPresence.Change> changes = new CopyOnWriteArrayList<>();
        RoomOrder.Feed feed = new RoomOrder.Feed() {
            @Override
            public void published(RoomOrder.Stored message) {
                messages.add(message);
            }

            @Override
            public void reconnected() {}

            @Override
            public void disconnected() {}
        };
        try (RedisRoomPresence here = RedisRoomPresence.start(client, order, Duration.ofSeconds(15), Duration.ofSeconds(5));
             RedisRoomOrder otherOrder = RedisRoomOrder.connect(client, 10, new ClusterMetrics(new SimpleMeterRegistry()), sharded);
             RedisRoomPresence other = RedisRoomPresence.start(client, otherOrder, Duration.ofSeconds(15), Duration.ofSeconds(5));
             StatefulRedisConnection<String, String> look = client.connect()) {
            order.subscribe(room, feed).toCompletableFuture().join();
            here.subscribe(room, new RoomPresence.Feed() {
                @Override
                public void changed(RoomPresence.Change change) {
                    changes.add(change);
                }

                @Override
                public void nodesLost(java.util.Set<String> nodes) {}

                @Override
                public void reregister() {}
            }).toCompletableFuture().join();

            String pattern = "mailroom:{room:" + room + "}:*";
            List<String> shard = look.sync().pubsubShardChannels(pattern);
            List<String> plain = look.sync().pubsubChannels(pattern);
            assertThat(sharded ? shard : plain).as("the room's channels").hasSize(2);
            assertThat(sharded ? plain : shard).as("channels of the other kind").isEmpty();

            // another node stores a message and a member joins there: both reach this node's feeds
            otherOrder.read(room, -1, 10, true).toCompletableFuture().join();
            RoomOrder.Stored stored = otherOrder.append(room, "post-1", "2026-12-04T00:00:00Z", "{\"seq\":", "}")
                    .toCompletableFuture().join().stored();
            other.joined(room, "Ada").toCompletableFuture().join();
            Waits.eventually().until(() -> messages.size() == 1 && changes.size() == 1);
            assertThat(messages.get(0)).isEqualTo(stored);
            assertThat(changes.get(0).user()).isEqualTo("Ada");
            assertThat(changes.get(0).joined()).isTrue();

            order.unsubscribe(room, feed);
            Waits.eventually().until(() -> (sharded ? look.sync().pubsubShardChannels(pattern)
                    : look.sync().pubsubChannels(pattern)).equals(List.of("mailroom:{room:" + room + "}:presence")));
        }
    }
}
