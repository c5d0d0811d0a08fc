package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.ClusterModeRedis;
import io.mailroom.cluster.RedisRoomOrder;
import io.mailroom.cluster.RedisServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The guard of the {@code chat-in-cluster-mode} execution (pom.xml): there, the context the chat
 * suite's tests share really is a node in cluster mode, ordering its rooms on the JVM's redis-server,
 * so that execution cannot pass by quietly running one node again. In the plain execution, the same
 * context is the single node of the default.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InClusterModeTest {
    @LocalServerPort
    int port;

    @Autowired
    ObjectProvider<RoomOrder> order;

    @Value("${mailroom.cluster.redis.url:}")
    String redisUrl;

    @Test
    @EnabledIfSystemProperty(named = ClusterModeRedis.PROPERTY, matches = "true")
    void theNodeOrdersItsRoomsOnTheSuitesRedis() {
        assertThat(order.getIfAvailable()).isInstanceOf(RedisRoomOrder.class);
        RedisServer redis = ClusterModeRedis.server();
        assertThat(redisUrl).isEqualTo(redis.url());
        try (ChatClient ada = ChatClient.welcomed(port, "InCluster")) {
            ada.joined("in-cluster-mode");
            ada.say("in-cluster-mode", "stored in Redis", "r1");
            assertThat(ada.expect("ack").get("seq").asLong()).isEqualTo(1);
        }
        // the message is in the room's stream on that redis-server, not only in this node's memory
        assertThat(redis.call("XLEN", "mailroom:{room:in-cluster-mode}:log")).isEqualTo(1L);
    }

    @Test
    @DisabledIfSystemProperty(named = ClusterModeRedis.PROPERTY, matches = "true")
    void theDefaultIsOneNode() {
        assertThat(order.getIfAvailable()).isNull();
        assertThat(redisUrl).isEmpty();
    }
}
