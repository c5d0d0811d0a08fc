package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.ClusterConfiguration;
import io.mailroom.cluster.RedisRoomOrder;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A node catches up soon after Redis returns (protocol.md §5), however long Redis was away:
 * Lettuce's default backoff doubles up to 30 s, so after a 10 s outage its next try came ~7 s
 * after Redis was back (and after a minute's outage, up to 30 s). The node's tries are at most
 * {@link ClusterConfiguration#RECONNECT_AT_MOST} apart.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChatClusterReconnectTest {
    /**
     * Just past a try of the default backoff (tries ~5 s, ~9 s and ~17 s after Redis went, measured
     * with its DEBUG log), so without the cap the next try comes ~7 s after Redis is back.
     */
    static final Duration OUTAGE = Duration.ofSeconds(10);

    @Test
    void aNodeIsBackWithinASecondOrSoOfRedisAfterALongOutage() throws InterruptedException {
        try (RedisServer redis = RedisServer.startNew()) {
            // names' leases outlast the outage: the session must stay to send afterwards
            ConfigurableApplicationContext node = TestCluster.node(redis.url(),
                    "mailroom.cluster.name-lease=120s");
            try (ChatClient ada = ChatClient.welcomed(TestCluster.port(node), "Ada")) {
                RedisRoomOrder order = node.getBean(RedisRoomOrder.class);
                ada.joined("back");

                redis.stopSaving(); // connections refused from now on, as when Redis is down
                Waits.eventually().alias("the node sees Redis gone").until(() -> !order.connected());
                Thread.sleep(OUTAGE.toMillis()); // the outage is what this is about
                redis.start();
                // a try within RECONNECT_AT_MOST, and a loaded machine's slack for the handshake
                Awaitility.await("reconnected after Redis returned")
                        .atMost(ClusterConfiguration.RECONNECT_AT_MOST.plusSeconds(2)).pollInterval(Duration.ofMillis(10))
                        .until(order::connected);

                // the room may still refuse until it has caught up; then the seqs go on from 1
                assertThat(ada.sayUntilAcked("back", "after the outage", "r")).isEqualTo(1);
            } finally {
                node.close();
            }
        }
    }
}
