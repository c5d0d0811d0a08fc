package io.mailroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Every script a node runs is in Redis's script cache as soon as the node is connected, and again
 * as soon as it is reconnected to a Redis that restarted (and so forgot them all), before any room
 * runs one. Run by SHA-1 with nothing cached, a script is run again with its text a round trip
 * later, after commands sent behind it: two posts of one sender could be stored in the wrong order.
 * A node with no sessions and no rooms runs none of the room's and names' scripts itself, so here
 * only loading them does it.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisScriptCacheTest {
    static RedisServer redis;
    static ConfigurableApplicationContext node;

    @BeforeAll
    static void start() {
        redis = RedisServer.startNew();
        node = TestCluster.node(redis.url());
    }

    @AfterAll
    static void stop() {
        node.close();
        redis.close();
    }

    /** The SHA-1 of every script the node runs, made from the scripts' texts, not from the node's list. */
    static List<String> everyScript() {
        RedisRoomOrder order = node.getBean(RedisRoomOrder.class);
        List<String> texts = List.of(order.script(RedisRoomOrder.APPEND), RedisRoomOrder.READ,
                order.script(RedisRoomPresence.REGISTER), order.script(RedisRoomPresence.JOIN),
                order.script(RedisRoomPresence.LEAVE), RedisRoomPresence.HEARTBEAT, RedisRoomPresence.LIVE,
                RedisNames.CLAIM.text(), RedisNames.RENEW.text(), RedisNames.RELEASE.text());
        List<String> shas = new ArrayList<>();
        texts.forEach(t -> shas.add(LuaScript.of(t).sha()));
        return shas;
    }

    static String runId() {
        for (String line : ((String) redis.call("INFO", "server")).split("\r?\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        throw new IllegalStateException("INFO server has no run_id");
    }

    static List<Object> cached() {
        List<String> args = new ArrayList<>(List.of("SCRIPT", "EXISTS"));
        args.addAll(everyScript());
        @SuppressWarnings("unchecked")
        List<Object> exists = (List<Object>) redis.call(args.toArray(String[]::new));
        return exists;
    }

    @Test
    void everyScriptIsCachedOnceTheNodeIsConnectedAndAgainOnceItReconnectsToARestartedRedis() {
        List<Long> all = everyScript().stream().map(s -> 1L).toList();
        Awaitility.await("every script cached at start").atMost(Duration.ofSeconds(10)).until(() -> cached().equals(all));

        String before = runId();
        redis.stopSaving();
        redis.start();
        assertThat(runId()).as("a new redis-server, whose script cache started empty").isNotEqualTo(before);
        RedisRoomOrder order = node.getBean(RedisRoomOrder.class);
        Awaitility.await("every script cached again after the reconnect").atMost(Duration.ofSeconds(30))
                .until(() -> order.connected() && cached().equals(all));
    }
}
