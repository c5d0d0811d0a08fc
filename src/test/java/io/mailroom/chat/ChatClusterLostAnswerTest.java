package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisRoomOrder;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TcpProxy;
import io.mailroom.cluster.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * A send whose answer from Redis is lost (protocol.md §1 {@code unavailable}, §5): Redis stored
 * it, but the node never heard back within its Redis timeout. {@code unavailable} would be a lie
 * ("nothing was stored"), so the sender hears nothing until the node, sending it again under its
 * post id, learns its seq: then one {@code ack}, and every member has the message once. A send
 * refused while the node is disconnected is {@code unavailable}, and is truly not stored.
 *
 * <p>Node one reaches Redis directly; node two through a {@link TcpProxy} that holds back Redis's
 * answers (the scripts run, their answers wait) and then drops the connection, as a network
 * fault between the two would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatClusterLostAnswerTest {
    /** The Redis timeout of both nodes: a held answer is a lost one after this. */
    static final Duration TIMEOUT = Duration.ofMillis(400);
    static RedisServer redis;
    static TcpProxy proxy;
    static ConfigurableApplicationContext direct;
    static ConfigurableApplicationContext proxied;

    @BeforeAll
    static void start() {
        redis = RedisServer.startNew();
        proxy = TcpProxy.to(redis.port());
        String timeout = "mailroom.cluster.redis.timeout=" + TIMEOUT.toMillis() + "ms";
        direct = TestCluster.node(redis.url(), timeout);
        proxied = TestCluster.node(proxy.redisUrl(), timeout);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {proxied, direct, proxy, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing down
            }
        }
    }

    @Test
    void aSendWhoseAnswerWasLostIsAckedOnceWithTheSeqItWasStoredAs() throws InterruptedException {
        String room = "lost-answer";
        try (ChatClient bob = ChatClient.welcomed(TestCluster.port(direct), "Bob");
             ChatClient ada = ChatClient.welcomed(TestCluster.port(proxied), "Ada")) {
            bob.joined(room);
            ada.joined(room);
            bob.expect("presence");
            assertThat(ada.say(room, "first", "1").expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(bob.expect("message").get("seq").asLong()).isEqualTo(1);

            proxy.holdAnswers();
            try {
                ada.say(room, "while the answers are held", "2");
                // Redis stored and published it: the node that reaches it directly delivers it
                JsonNode delivered = bob.expect("message");
                assertThat(delivered.get("seq").asLong()).isEqualTo(2);
                assertThat(delivered.get("text").asString()).isEqualTo("while the answers are held");
                // the sender's node timed out on the answer several times over and still says nothing
                Thread.sleep(TIMEOUT.multipliedBy(4).toMillis());
                assertThat(ada.pending()).as("neither ack nor unavailable while the outcome is unknown").isEmpty();
                proxy.cut();
            } finally {
                proxy.restore();
            }
            // the resend under the post's id gets the seq it was stored as; nothing is stored twice
            JsonNode ack = ada.expect("ack");
            assertThat(ack.get("ref").asString()).isEqualTo("2");
            assertThat(ack.get("seq").asLong()).isEqualTo(2);
            assertThat(ada.say(room, "after", "3").expect("ack").get("seq").asLong()).isEqualTo(3);
            assertThat(bob.expect("message").get("seq").asLong()).isEqualTo(3);
            assertThat(ada.pending()).as("no message of her own, no second ack").isEmpty();
            assertThat(bob.pending()).as("no second delivery").isEmpty();
            JsonNode history = Rest.get(TestCluster.port(direct), "/api/rooms/" + room + "/messages").body();
            assertThat(ChatLimitsTest.seqs(history)).containsExactly(1L, 2L, 3L);
            assertThat(ada.isClosed()).isFalse();
        }
    }

    @Test
    void aSendRefusedWhileDisconnectedIsUnavailableAndNotStored() {
        String room = "refused";
        try (ChatClient bob = ChatClient.welcomed(TestCluster.port(direct), "Bea");
             ChatClient ada = ChatClient.welcomed(TestCluster.port(proxied), "Al")) {
            bob.joined(room);
            ada.joined(room);
            bob.expect("presence");
            proxy.cut();
            try {
                RedisRoomOrder order = proxied.getBean(RedisRoomOrder.class);
                ChatClient.await("the node knows it is cut off").until(() -> !order.connected());
                // refused at once while Lettuce is disconnected: nothing reached Redis
                JsonNode refused = ada.say(room, "not now", "x").next();
                assertThat(refused.get("type").asString()).isEqualTo("error");
                assertThat(refused.get("code").asString()).isEqualTo("unavailable");
                assertThat(refused.get("ref").asString()).isEqualTo("x");
            } finally {
                proxy.restore();
            }
            long seq = ada.sayUntilAcked(room, "back", "b");
            assertThat(seq).as("no refused send was stored").isEqualTo(1);
            assertThat(bob.expect("message").get("text").asString()).isEqualTo("back");
            List<Long> stored = ChatLimitsTest.seqs(
                    Rest.get(TestCluster.port(direct), "/api/rooms/" + room + "/messages").body());
            assertThat(stored).containsExactly(1L);
        }
    }
}
