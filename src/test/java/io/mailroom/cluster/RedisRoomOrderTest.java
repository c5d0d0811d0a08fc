package io.mailroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.mailroom.chat.RoomOrder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The append script on a real redis-server: a post sent again under its id (its room's process
 * ended before the store's answer reached it, and the session resent it) is stored once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisRoomOrderTest {
    static RedisServer redis;
    static RedisClient client;
    static RedisRoomOrder order;

    @BeforeAll
    static void start() {
        redis = RedisServer.startNew();
        client = RedisClient.create(redis.url());
        order = RedisRoomOrder.connect(client, 100, new ClusterMetrics(new SimpleMeterRegistry()));
    }

    @AfterAll
    static void stop() {
        order.close();
        client.shutdown();
        redis.close();
    }

    private static RoomOrder.Posted append(String room, String id, String ts) {
        return order.append(room, id, ts, "{\"seq\":", ",\"ts\":\"" + ts + "\"}").toCompletableFuture().join();
    }

    @Test
    void aPostSentAgainUnderItsIdGetsItsFirstSeqTsAndFrameAndIsNotStoredTwice() {
        RoomOrder.Posted first = append("resent", "s1.1", "t1");
        RoomOrder.Posted other = append("resent", "s1.2", "t2");
        RoomOrder.Posted again = append("resent", "s1.1", "t3");

        assertThat(first.repeat()).isFalse();
        assertThat(first.stored().seq()).isEqualTo(1);
        assertThat(other.stored().seq()).isEqualTo(2);
        assertThat(again.repeat()).isTrue();
        assertThat(again.stored()).isEqualTo(first.stored());
        assertThat(again.ts()).isEqualTo("t1");
        assertThat(redis.call("XLEN", RedisRoomOrder.key("resent", "log"))).isEqualTo(2L);
        long ttl = (Long) redis.call("TTL", RedisRoomOrder.key("resent", "post:s1.1"));
        assertThat(ttl).isBetween(1L, RoomOrder.POST_ID_TTL.toSeconds());
    }

    @Test
    void anIdOfAnEarlierEpochIsAPostOfItsOwn() {
        RoomOrder.Posted first = append("lost", "s2.1", "t1");
        redis.command("DEL", RedisRoomOrder.key("lost", "meta")); // the room's history lost, the id not
        RoomOrder.Posted again = append("lost", "s2.1", "t2");

        assertThat(again.repeat()).as("a seq of another epoch is no answer").isFalse();
        assertThat(again.stored().epoch()).isNotEqualTo(first.stored().epoch());
        assertThat(again.stored().seq()).isEqualTo(1);
    }
}
