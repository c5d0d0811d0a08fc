package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.event.connection.ReconnectFailedEvent;
import io.lettuce.core.resource.ClientResources;
import io.mailroom.cluster.ClusterConfiguration;
import io.mailroom.cluster.RedisRoomOrder;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.Disposable;

/**
 * A node catches up soon after Redis returns (protocol.md §5), however long Redis was away:
 * Lettuce's default backoff doubles up to 30 s, so once Redis had been away ~9 s (13 failed tries)
 * the next try came 8 s later (and after a minute's outage, up to 30 s). The node's tries are at
 * most {@link ClusterConfiguration#RECONNECT_AT_MOST} apart.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChatClusterReconnectTest {
    /** Failed tries after which the default backoff waits 2^13 ms = 8 s before the next. */
    static final int BACKED_OFF = 13;

    @Test
    void aNodeIsBackWithinASecondOrSoOfRedisAfterALongOutage() {
        try (RedisServer redis = RedisServer.startNew()) {
            // names' leases outlast the outage: the session must stay to send afterwards
            ConfigurableApplicationContext node = TestCluster.node(redis.url(),
                    "mailroom.cluster.name-lease=120s");
            try (ChatClient ada = ChatClient.welcomed(TestCluster.port(node), "Ada")) {
                RedisRoomOrder order = node.getBean(RedisRoomOrder.class);
                AtomicInteger backedOff = new AtomicInteger(); // connections past BACKED_OFF failed tries
                Disposable watch = node.getBean(ClientResources.class).eventBus().get()
                        .ofType(ReconnectFailedEvent.class).filter(e -> e.getAttempt() == BACKED_OFF)
                        .subscribe(e -> backedOff.incrementAndGet());
                ada.joined("back");

                redis.stopSaving(); // connections refused from now on, as when Redis is down
                // both connections (commands and subscriptions) have failed long enough
                Waits.eventually().alias("13 failed tries on each connection").until(() -> backedOff.get() >= 2);
                watch.dispose();
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
