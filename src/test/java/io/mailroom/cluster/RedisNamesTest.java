package io.mailroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.mailroom.chat.NameClaims;
import io.mailroom.chat.SessionDirectory;
import io.mailroom.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The claim scripts of {@link RedisNames} on a real redis-server, through Lettuce, without the chat
 * around them: many claimers of one name on several "nodes" (each its own client and connections)
 * get exactly one winner; many resumes with the right token take over exactly once and the holder is
 * told once; and an owner that lost its claim (taken over, or run out) can neither renew nor release
 * the claim that replaced it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisNamesTest {
    static final Duration TTL = Duration.ofSeconds(10);
    private static final AtomicInteger IDS = new AtomicInteger();
    static RedisServer redis;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.startNew();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void closeNodes() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** One node's names: its own client, connections and id. */
    RedisNames node(Duration ttl) {
        RedisClient client = RedisClient.create(redis.url());
        open.add(client::shutdown);
        RedisRoomOrder order = RedisRoomOrder.connect(client, 100, new ClusterMetrics(new SimpleMeterRegistry()));
        open.add(order);
        RedisNames names = RedisNames.start(order, new ClusterMetrics(new SimpleMeterRegistry()), ttl, Duration.ofSeconds(5));
        open.add(names);
        return names;
    }

    static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
        return stage.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    static String name(String base) {
        return base + IDS.incrementAndGet();
    }

    @Test
    void manyConcurrentClaimersOfOneNameGetExactlyOneWinner() {
        List<RedisNames> nodes = List.of(node(TTL), node(TTL), node(TTL), node(TTL));
        int rounds = 20;
        int claimers = 200;
        for (int r = 0; r < rounds; r++) {
            String key = name("ada");
            List<CompletableFuture<NameClaims.Outcome>> all = new ArrayList<>();
            for (int i = 0; i < claimers; i++) {
                // half of them with a (wrong) resume token: that must not help
                all.add(nodes.get(i % nodes.size()).claim(key, "token-" + r + "-" + i, i % 2 == 0 ? null : "guess-" + i,
                        () -> {}).toCompletableFuture());
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).orTimeout(30, TimeUnit.SECONDS).join();
            long won = all.stream().filter(f -> f.join() instanceof NameClaims.Won).count();
            long taken = all.stream().filter(f -> f.join() instanceof NameClaims.Taken).count();
            assertThat(won).as("winners of %s", key).isEqualTo(1);
            assertThat(taken).isEqualTo(claimers - 1);
            NameClaims.Won winner = (NameClaims.Won) all.stream().map(CompletableFuture::join)
                    .filter(o -> o instanceof NameClaims.Won).findFirst().orElseThrow();
            assertThat(winner.tookOver()).isFalse();
            assertThat(redis.call("GET", RedisNames.claimKey(key))).isEqualTo(winner.lease().value());
        }
        System.out.printf("names: %d rounds of %d concurrent claimers on %d nodes: one winner each%n", rounds, claimers,
                nodes.size());
    }

    @Test
    void concurrentResumesWithTheRightTokenTakeTheNameOverExactlyOnce() throws Exception {
        RedisNames holderNode = node(TTL);
        List<RedisNames> others = List.of(node(TTL), node(TTL), node(TTL));
        String key = name("bob");
        AtomicInteger told = new AtomicInteger();
        CountDownLatch toldLatch = new CountDownLatch(1);
        NameClaims.Won held = (NameClaims.Won) await(holderNode.claim(key, "the-token", null, () -> {
            told.incrementAndGet();
            toldLatch.countDown();
        }));
        String stored = (String) redis.call("GET", RedisNames.claimKey(key));
        assertThat(stored).as("only a hash of the token is stored").doesNotContain("the-token")
                .endsWith(" " + SessionDirectory.tokenHash("the-token"));

        List<CompletableFuture<NameClaims.Outcome>> all = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            all.add(others.get(i % others.size()).claim(key, "new-" + i, "the-token", () -> {}).toCompletableFuture());
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).orTimeout(30, TimeUnit.SECONDS).join();
        List<NameClaims.Won> winners = all.stream().map(CompletableFuture::join)
                .filter(o -> o instanceof NameClaims.Won).map(o -> (NameClaims.Won) o).toList();
        assertThat(winners).hasSize(1);
        assertThat(winners.get(0).tookOver()).isTrue();
        assertThat(toldLatch.await(10, TimeUnit.SECONDS)).as("the old holder's node was told").isTrue();
        // told once, and no second notice follows
        Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> told.get() == 1);

        // the stale owner: cannot renew, and its release leaves the new claim alone
        assertThat(await(holderNode.renew(held.lease()))).isEqualTo(NameClaims.Renewal.LOST);
        holderNode.release(held.lease());
        assertThat(await(others.get(0).renew(winners.get(0).lease()))).isEqualTo(NameClaims.Renewal.HELD);
        assertThat(redis.call("GET", RedisNames.claimKey(key))).isEqualTo(winners.get(0).lease().value());
        // the new holder's own token resumes it; the old one no longer does
        assertThat(await(holderNode.claim(key, "x", "the-token", () -> {}))).isInstanceOf(NameClaims.Taken.class);
    }

    @Test
    void anOwnerWhoseLeaseRanOutCannotRenewOrReleaseTheNextClaim() throws Exception {
        RedisNames a = node(Duration.ofMillis(300));
        RedisNames b = node(TTL);
        String key = name("cid");
        NameClaims.Won first = (NameClaims.Won) await(a.claim(key, "t1", null, () -> {}));
        assertThat(await(b.claim(key, "t2", null, () -> {}))).isInstanceOf(NameClaims.Taken.class);
        // a's lease runs out, unrenewed
        Waits.eventually().until(() -> Long.valueOf(0).equals(redis.call("EXISTS", RedisNames.claimKey(key))));
        NameClaims.Won second = (NameClaims.Won) await(b.claim(key, "t2", null, () -> {}));
        assertThat(second.lease().value()).isNotEqualTo(first.lease().value());
        long fence1 = Long.parseLong(first.lease().value().split(" ")[0]);
        long fence2 = Long.parseLong(second.lease().value().split(" ")[0]);
        assertThat(fence2).as("fences rise").isGreaterThan(fence1);

        assertThat(await(a.renew(first.lease()))).isEqualTo(NameClaims.Renewal.LOST);
        a.release(first.lease());
        Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(5))
                .until(() -> second.lease().value().equals(redis.call("GET", RedisNames.claimKey(key))));
        // a renewal extends the lease; a release by the owner frees the name
        long before = (Long) redis.call("PTTL", RedisNames.claimKey(key));
        Waits.eventually().until(() -> (Long) redis.call("PTTL", RedisNames.claimKey(key)) < before);
        assertThat(await(b.renew(second.lease()))).isEqualTo(NameClaims.Renewal.HELD);
        assertThat((Long) redis.call("PTTL", RedisNames.claimKey(key))).isGreaterThan(before);
        b.release(second.lease());
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> Long.valueOf(0).equals(redis.call("EXISTS", RedisNames.claimKey(key))));
    }

    /**
     * The scripts go by their SHA-1: after Redis forgot them (SCRIPT FLUSH, as a restart does), a
     * claim, a renewal and a release each still do exactly their work once, and the first of them
     * has cached its script again.
     */
    @Test
    void scriptsForgottenByRedisAreSentAgainAndRunOnce() {
        RedisNames a = node(TTL);
        String key = name("flushed");
        await(a.claim(name("warm"), "t0", null, () -> {}));
        assertThat(redis.call("SCRIPT", "EXISTS", RedisNames.CLAIM.sha())).isEqualTo(List.of(1L));

        redis.command("SCRIPT", "FLUSH");
        assertThat(redis.call("SCRIPT", "EXISTS", RedisNames.CLAIM.sha(), RedisNames.RENEW.sha(), RedisNames.RELEASE.sha()))
                .isEqualTo(List.of(0L, 0L, 0L));
        NameClaims.Won won = (NameClaims.Won) await(a.claim(key, "t1", null, () -> {}));
        assertThat(redis.call("GET", RedisNames.fenceKey(key))).as("claimed once: one INCR of a new name's fence")
                .isEqualTo("1");
        assertThat(redis.call("GET", RedisNames.claimKey(key))).isEqualTo(won.lease().value());
        assertThat(await(a.renew(won.lease()))).isEqualTo(NameClaims.Renewal.HELD);
        a.release(won.lease());
        Waits.eventually().until(() -> Long.valueOf(0).equals(redis.call("EXISTS", RedisNames.claimKey(key))));
        assertThat(redis.call("SCRIPT", "EXISTS", RedisNames.CLAIM.sha(), RedisNames.RENEW.sha(), RedisNames.RELEASE.sha()))
                .isEqualTo(List.of(1L, 1L, 1L));
    }
}
