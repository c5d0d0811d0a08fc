package io.mailroom.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.mailroom.chat.NameClaims;
import io.mailroom.chat.SessionDirectory;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat's {@link NameClaims} on Redis (design.md "Across machines": names are claimed with a
 * lease and a fencing value). A name's keys share the hash tag {@code {name:<lower-case name>}}:
 * <ul>
 *   <li>{@code mailroom:{name:<key>}:claim}, a string with a TTL (the lease): {@code <fence> <node>
 *       <token hash>}, where the fence comes from an INCR of {@code mailroom:{name:<key>}:fence}, the
 *       node is this service's id for the node that holds it, and the token hash is the SHA-256 of
 *       the session's resume token (the token itself never leaves the node). The whole string is the
 *       fencing value: renewing, releasing and being told of a takeover all go by it, so an owner
 *       that lost the name (its lease expired and someone claimed it, or a resume took it over) can
 *       do nothing to the claim that replaced it;
 *   <li>channel {@code mailroom:{node:<id>}:names}: {@code <claim key>\n<old value>} when a resume
 *       on any node took one of this node's names over, so its session ends at once (4000).
 * </ul>
 * Claiming is one script: SET NX with a PX lease, or, for a resume whose token hash matches the
 * holder's, a takeover (SET with a new fence and PUBLISH to the holder's node) in the same atomic
 * step. Renewal is a script that extends the lease only if the value is still the caller's; one that
 * finds the key gone (Redis lost its data: restarted empty, or flushed) writes it again, since no one
 * else holds the name then.
 *
 * <p>Commands share {@link RedisRoomOrder}'s connections and are Lettuce's async ones: nothing here
 * blocks a caller. The scripts go by their SHA-1 ({@link LuaScript}), so a renewal (each session's,
 * every third of a lease) carries its key and value, not the script's text. Every round trip is
 * timed as {@code op="name"}.
 */
public final class RedisNames implements NameClaims, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisNames.class);
    /** How long a name's fence counter outlives its last claim: far beyond any lease it fences. */
    static final long FENCE_KEEP_MILLIS = Duration.ofDays(1).toMillis();

    /**
     * KEYS claim, fence; ARGV node, token hash, lease ms, resume hash ('' without), fence keep ms.
     * Returns {1, value}: claimed; {2, value}: taken over from a live holder; {0}: taken.
     */
    static final LuaScript CLAIM = LuaScript.of("""
            local held = redis.call('GET', KEYS[1])
            if held then
              if ARGV[4] == '' then return {0} end
              local node, hash = string.match(held, '^%d+ (%S+) (%S+)$')
              if hash ~= ARGV[4] then return {0} end
              local fence = redis.call('INCR', KEYS[2])
              redis.call('PEXPIRE', KEYS[2], ARGV[5])
              local value = fence .. ' ' .. ARGV[1] .. ' ' .. ARGV[2]
              redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
              redis.call('PUBLISH', 'mailroom:{node:' .. node .. '}:names', KEYS[1] .. '\\n' .. held)
              return {2, value}
            end
            local fence = redis.call('INCR', KEYS[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            local value = fence .. ' ' .. ARGV[1] .. ' ' .. ARGV[2]
            redis.call('SET', KEYS[1], value, 'PX', ARGV[3], 'NX')
            return {1, value}
            """);

    /** KEYS claim; ARGV value, lease ms. Returns 1: extended; 2: written again (it was gone); 0: another claim's. */
    static final LuaScript RENEW = LuaScript.of("""
            local held = redis.call('GET', KEYS[1])
            if held == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            if not held then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 2
            end
            return 0
            """);

    /** KEYS claim; ARGV value. Deletes the claim only if it is still that value's. */
    static final LuaScript RELEASE = LuaScript.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """);

    private final RedisAsyncCommands<String, String> redis;
    private final StatefulRedisPubSubConnection<String, String> subscriptions;
    private final ClusterMetrics metrics;
    private final Duration ttl;
    private final String node;
    private final String channel;
    /** This node's claims, by value: whom to tell when a resume elsewhere takes one over. */
    private final ConcurrentHashMap<String, Holder> held = new ConcurrentHashMap<>();
    /** Releases on their way, so that a clean stop can wait for them. */
    private final Set<CompletableFuture<?>> releasing = ConcurrentHashMap.newKeySet();

    private record Holder(Lease lease, Runnable takenOver) {}

    private RedisNames(RedisRoomOrder order, ClusterMetrics metrics, Duration ttl) {
        this.redis = order.commands();
        this.subscriptions = order.subscriptions();
        this.metrics = metrics;
        this.ttl = ttl;
        this.node = Long.toString(new SecureRandom().nextLong() >>> 1, 36);
        this.channel = "mailroom:{node:" + node + "}:names";
        for (LuaScript script : List.of(CLAIM, RENEW, RELEASE)) {
            order.cached(script);
        }
        subscriptions.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
                if (from.equals(channel)) {
                    takenOver(message);
                }
            }
        });
    }

    /**
     * Subscribes to this node's takeover channel, waiting up to {@code timeout} for it (the client
     * subscribes again by itself after a reconnect); leases last {@code ttl}.
     */
    public static RedisNames start(RedisRoomOrder order, ClusterMetrics metrics, Duration ttl, Duration timeout) {
        RedisNames names = new RedisNames(order, metrics, ttl);
        try {
            names.subscriptions.async().subscribe(names.channel).toCompletableFuture()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("names: could not subscribe to {} ({}); takeovers are seen at the next renewal until it is",
                    names.channel, String.valueOf(e));
        }
        return names;
    }

    static String claimKey(String key) {
        return "mailroom:{name:" + key + "}:claim";
    }

    static String fenceKey(String key) {
        return "mailroom:{name:" + key + "}:fence";
    }

    /** This node's id in the claims it makes. */
    public String node() {
        return node;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public CompletionStage<Outcome> claim(String key, String token, String resume, Runnable takenOver) {
        String[] keys = {claimKey(key), fenceKey(key)};
        String resumeHash = resume == null ? "" : SessionDirectory.tokenHash(resume);
        return metrics.timed(ClusterMetrics.Op.NAME, () -> CLAIM.<List<Object>>run(redis, ScriptOutputType.MULTI, keys,
                        node, SessionDirectory.tokenHash(token), Long.toString(ttl.toMillis()), resumeHash,
                        Long.toString(FENCE_KEEP_MILLIS)))
                .thenApply(reply -> {
                    long code = (Long) reply.get(0);
                    if (code == 0) {
                        return new Taken();
                    }
                    Lease lease = new Lease(keys[0], (String) reply.get(1));
                    held.put(lease.value(), new Holder(lease, takenOver));
                    return new Won(lease, code == 2);
                });
    }

    @Override
    public CompletionStage<Renewal> renew(Lease lease) {
        return metrics.timed(ClusterMetrics.Op.NAME, () -> RENEW.<Long>run(redis, ScriptOutputType.INTEGER,
                        new String[] {lease.key()}, lease.value(), Long.toString(ttl.toMillis())))
                .thenApply(code -> {
                    if (code == 0) {
                        held.remove(lease.value());
                        return Renewal.LOST;
                    }
                    if (code == 2) {
                        LOG.info("names: {} was gone from Redis (it lost its data?); written again", lease.key());
                    }
                    return Renewal.HELD;
                });
    }

    @Override
    public void release(Lease lease) {
        held.remove(lease.value());
        CompletableFuture<Long> done;
        try {
            done = metrics.timed(ClusterMetrics.Op.NAME, () -> RELEASE.<Long>run(redis, ScriptOutputType.INTEGER,
                    new String[] {lease.key()}, lease.value())).toCompletableFuture();
        } catch (RuntimeException e) {
            return; // its lease runs out by itself
        }
        releasing.add(done);
        done.whenComplete((v, e) -> releasing.remove(done));
    }

    /** Claims of this node, for a test or the process page. */
    int held() {
        return held.size();
    }

    private void takenOver(String message) {
        int newline = message.indexOf('\n');
        if (newline < 0) {
            return;
        }
        Holder holder = held.remove(message.substring(newline + 1));
        if (holder != null) {
            holder.takenOver().run();
        }
    }

    /**
     * A clean stop: frees every name this node still holds (its sessions have ended by now, or are
     * about to) and waits, up to the lease, for those releases; what is not freed runs out by itself
     * within the lease.
     */
    @Override
    public void close() {
        for (Holder holder : List.copyOf(held.values())) {
            release(holder.lease());
        }
        List<CompletableFuture<?>> waits = new ArrayList<>(releasing);
        try {
            subscriptions.async().unsubscribe(channel);
        } catch (RuntimeException e) {
            // closing anyway
        }
        try {
            CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(ttl.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.info("names: not every name was freed on the way out ({}); the rest run out within {}",
                    String.valueOf(e), ttl);
        }
    }
}
