package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.NodeProcess;
import io.mailroom.cluster.RedisRoomPresence;
import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * A node killed for real (protocol.md §5): the second node is a JVM of its own, and SIGKILL ends
 * it, so nothing of it runs on the way down; its connections to Redis and its clients are closed by
 * the kernel. Within {@code presence-ttl} the other node's members see its member leave and the
 * REST API drops it; within the name lease its name is free on the other node; the dead node is
 * swept out of Redis; and what it acknowledged before it died is in the room's log for everyone.
 * (ChatClusterPresenceTest and ChatClusterNamesTest make the same death in this JVM, by cutting a
 * node's Redis connections before closing it.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChatClusterKillTest {
    static final Duration TTL = Duration.ofSeconds(4);
    static final String TTL_SETTING = "mailroom.cluster.presence-ttl=" + TTL.toMillis() + "ms";
    /** What a loaded machine may add to the TTL between the death and what a client sees. */
    static final Duration SLACK = Duration.ofSeconds(2);

    @Test
    void aNodeKilledWithSigkillLosesItsMembersAndNamesWithinTheTtlAndNothingItAckedIsLost() {
        String room = "sigkill";
        try (RedisServer redis = RedisServer.startNew();
             ConfigurableApplicationContext one = TestCluster.node(redis.url(), TTL_SETTING);
             NodeProcess two = NodeProcess.start("mailroom.cluster.redis.url=" + redis.url(),
                     "mailroom.cluster.redis.timeout=1s", TTL_SETTING)) {
            int portOne = TestCluster.port(one);
            String oneId = one.getBean(RedisRoomPresence.class).node();
            try (ChatClient ada = ChatClient.welcomed(portOne, "Ada");
                 ChatClient eve = ChatClient.welcomed(two.port, "Eve")) {
                ada.joined(room);
                assertThat(ChatClusterPresenceTest.members(eve.joined(room))).containsExactly("Ada", "Eve");
                ChatClusterPresenceTest.expectPresence(ada, room, "join", "Eve");
                long seq = eve.sayUntilAcked(room, "acked before the kill", "e1");
                assertThat(ada.expect("message").get("seq").asLong()).isEqualTo(seq);
                List<Object> nodes = asList(redis.call("ZRANGE", "mailroom:nodes", "0", "-1"));
                assertThat(nodes).hasSize(2).contains(oneId);
                String twoId = (String) nodes.stream().filter(n -> !n.equals(oneId)).findFirst().orElseThrow();

                long killedAt = System.nanoTime();
                assertThat(two.kill()).as("exit code of SIGKILL").isEqualTo(128 + 9);

                // its member leaves for the others within the TTL
                ChatClient.Received leave = ada.nextReceived();
                assertThat(leave.json().toString()).contains("\"event\":\"leave\"").contains("\"user\":\"Eve\"");
                Duration left = Duration.ofNanos(leave.at() - killedAt);
                System.out.printf("sigkill: presence leave %d ms after the kill (ttl %d ms)%n", left.toMillis(), TTL.toMillis());
                assertThat(left).as("presence leave after the kill").isLessThanOrEqualTo(TTL.plus(SLACK));
                assertThat(ChatClusterPresenceTest.restMembers(portOne, room)).containsExactly("Ada");

                // its name is free on the other node within the lease (presence-ttl here)
                ChatClient eveAgain = ChatClient.await("the name Eve free on node one").atMost(TTL.plus(SLACK))
                        .pollInterval(Duration.ofMillis(50)).until(() -> ChatClient.welcomedOrNullIfTaken(portOne, "Eve"), c -> c != null);
                System.out.printf("sigkill: the name free %d ms after the kill%n",
                        Duration.ofNanos(System.nanoTime() - killedAt).toMillis());

                // and the room carries on from the seq the dead node acked, its message kept
                try (eveAgain) {
                    JsonNode joined = eveAgain.joined(room);
                    assertThat(joined.get("history")).extracting(m -> m.get("text").asString())
                            .containsExactly("acked before the kill");
                    ChatClusterPresenceTest.expectPresence(ada, room, "join", "Eve");
                    assertThat(ada.sayUntilAcked(room, "after the kill", "a1")).isEqualTo(seq + 1);
                    assertThat(eveAgain.expect("message").get("text").asString()).isEqualTo("after the kill");
                }
                Waits.eventually().alias("the dead node swept out of Redis").until(() ->
                        redis.command("ZSCORE", "mailroom:nodes", twoId).equals("$-1")
                                && redis.command("EXISTS", "mailroom:{node:" + twoId + "}:rooms").equals(":0"));
                assertThat(eve.awaitClose()).as("the killed node's client: its socket gone without a close frame").isEqualTo(1006);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object reply) {
        return (List<Object>) reply;
    }
}
