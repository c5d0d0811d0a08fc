package io.mailroom.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.mailroom.chat.RoomOrder;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat's {@link RoomOrder} on Redis (design.md "Across machines"). A room's keys share the
 * hash tag {@code {room:<name>}}, so Redis Cluster keeps them on one shard:
 * <ul>
 *   <li>{@code mailroom:{room:<name>}:meta}, a hash: {@code epoch} and the last {@code seq};
 *   <li>{@code mailroom:{room:<name>}:log}, a stream: message {@code seq} has the id {@code <seq>-0}
 *       and one field, {@code f}, its complete frame; trimmed to exactly {@code history-size} entries;
 *   <li>{@code mailroom:{room:<name>}:post:<id>}, a string kept for {@link RoomOrder#POST_ID_TTL}:
 *       {@code epoch\nseq\nts} of the post stored under that id, so a resend is not stored twice;
 *   <li>channel {@code mailroom:{room:<name>}:pub}: every stored message as {@code epoch\nseq\nframe}.
 * </ul>
 * The room channels are sharded ({@code SPUBLISH}/{@code SSUBSCRIBE}) where the server has them
 * (Redis 7 and later): a Redis Cluster then sends a room's publications only within the shard
 * that holds its keys (the hash tag puts them in one slot), not to every node of the cluster.
 * One Lua script sequences, stores, trims and publishes a message, atomically, as Centrifugo's
 * {@code broker_history_add_stream.lua} does. The epoch is created with the room's seq, in the same
 * script: when Redis lost the room's keys its seqs start again at 1 under a new epoch.
 *
 * <p>Everything is Lettuce's async API: nothing here blocks a caller. Two connections: one for
 * commands, one for subscriptions (a subscribed connection can run nothing else).
 */
public final class RedisRoomOrder implements RoomOrder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisRoomOrder.class);

    /**
     * KEYS meta, log, the post's id key; ARGV new epoch, frame before the seq, frame after it,
     * history size, channel, ts, seconds to remember the id. Returns {epoch, seq, frame, ts, repeat}:
     * for an id it holds (in this epoch) the message first stored under it, with nothing stored again.
     */
    static final String APPEND = """
            local epoch = redis.call('HGET', KEYS[1], 'epoch')
            if not epoch then
              epoch = ARGV[1]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
            else
              local prior = redis.call('GET', KEYS[3])
              if prior then
                local a = string.find(prior, '\\n', 1, true)
                local b = string.find(prior, '\\n', a + 1, true)
                if string.sub(prior, 1, a - 1) == epoch then
                  local seq = tonumber(string.sub(prior, a + 1, b - 1))
                  local entries = redis.call('XRANGE', KEYS[2], seq .. '-0', seq .. '-0')
                  local frame = ''
                  if #entries > 0 then frame = entries[1][2][2] end
                  return {epoch, seq, frame, string.sub(prior, b + 1), 1}
                end
              end
            end
            local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
            local frame = ARGV[2] .. seq .. ARGV[3]
            redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-0', 'f', frame)
            redis.call('SET', KEYS[3], epoch .. '\\n' .. seq .. '\\n' .. ARGV[6], 'EX', ARGV[7])
            redis.call('PUBLISH', ARGV[5], epoch .. '\\n' .. seq .. '\\n' .. frame)
            return {epoch, seq, frame, ARGV[6], 0}
            """;

    /**
     * KEYS meta, log; ARGV new epoch ('' to create none), after (negative: the newest), count.
     * Returns {epoch, seq, id, frame, id, frame…}, or {nil} for a room Redis does not know.
     */
    static final String READ = """
            local epoch = redis.call('HGET', KEYS[1], 'epoch')
            if not epoch then
              if ARGV[1] == '' then return {false} end
              epoch = ARGV[1]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
            end
            local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
            local after = tonumber(ARGV[2])
            local out = {epoch, seq}
            if after < 0 then
              local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3])
              for i = #entries, 1, -1 do
                out[#out + 1] = entries[i][1]
                out[#out + 1] = entries[i][2][2]
              end
            elseif after < seq then
              local entries = redis.call('XRANGE', KEYS[2], '(' .. after .. '-0', '+', 'COUNT', ARGV[3])
              for i = 1, #entries do
                out[#out + 1] = entries[i][1]
                out[#out + 1] = entries[i][2][2]
              end
            end
            return out
            """;
    private static final LuaScript READ_SCRIPT = LuaScript.of(READ);

    private final StatefulRedisConnection<String, String> commands;
    private final StatefulRedisPubSubConnection<String, String> subscriptions;
    private final RedisAsyncCommands<String, String> redis;
    private final int historySize;
    private final ClusterMetrics metrics;
    private final RoomChannels<Feed> feeds = new RoomChannels<>("pub");
    private final SecureRandom random = new SecureRandom();
    /** Room channels are shard channels (the server has them): SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE. */
    private final boolean sharded;
    private final LuaScript append;
    /** Every script run on the command connection: loaded into Redis's cache on each connect ({@link #cached}). */
    private final Set<LuaScript> scripts = ConcurrentHashMap.newKeySet();

    private RedisRoomOrder(RedisClient client, int historySize, ClusterMetrics metrics, Boolean sharded) {
        this.historySize = historySize;
        this.metrics = metrics;
        this.commands = client.connect();
        this.redis = commands.async();
        this.sharded = sharded != null ? sharded : hasShardChannels(commands.sync().info("server"));
        this.append = roomScript(APPEND);
        cached(READ_SCRIPT);
        this.subscriptions = client.connectPubSub();
        subscriptions.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                published(channel, message);
            }

            @Override
            public void smessage(String channel, String message) {
                published(channel, message);
            }
        });
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                loadScripts(); // before the rooms resync, so ahead of what they send
                feeds.everyFeed(Feed::reconnected);
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                feeds.everyFeed(Feed::disconnected);
            }
        });
    }

    /**
     * Connects both connections (Redis must answer now; later outages are survived); every round
     * trip, publication and gap fill is counted in {@code metrics}.
     */
    public static RedisRoomOrder connect(RedisClient client, int historySize, ClusterMetrics metrics) {
        return new RedisRoomOrder(client, historySize, metrics, null);
    }

    /** As {@link #connect}, with plain or shard channels as told rather than as the server offers. */
    static RedisRoomOrder connect(RedisClient client, int historySize, ClusterMetrics metrics, boolean sharded) {
        return new RedisRoomOrder(client, historySize, metrics, sharded);
    }

    /** Whether the server of this {@code INFO server} answer has shard channels (Redis 7.0 on). */
    static boolean hasShardChannels(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                String version = line.substring("redis_version:".length()).trim();
                int dot = version.indexOf('.');
                try {
                    return Integer.parseInt(dot < 0 ? version : version.substring(0, dot)) >= 7;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Registers a script run on the command connection, and loads it into Redis's script cache, now
     * and again whenever a connection is made (a restarted Redis has forgotten every script). Run by
     * its SHA-1, a script Redis does not have is run again with its text a round trip later
     * ({@link LuaScript}), and by then commands sent after it may have run: were another node to
     * load it between two of this node's posts, the later post would be stored first.
     */
    LuaScript cached(LuaScript script) {
        if (scripts.add(script)) {
            load(script);
        }
        return script;
    }

    /** A script that publishes on room channels, as this server takes it ({@link #script}), registered as {@link #cached}. */
    LuaScript roomScript(String lua) {
        return cached(LuaScript.of(script(lua)));
    }

    private void loadScripts() {
        scripts.forEach(this::load);
    }

    private void load(LuaScript script) {
        try {
            redis.scriptLoad(script.text()).exceptionally(e -> null); // if it fails, the first run loads it
        } catch (RuntimeException e) {
            // the connection is closed: a node that connects again loads it then
        }
    }

    /** Whether room channels are shard channels here. */
    boolean sharded() {
        return sharded;
    }

    /** A script that publishes on room channels, as this server takes it: SPUBLISH where it has shard channels. */
    String script(String lua) {
        return sharded ? lua.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',") : lua;
    }

    /** Subscribes the shared subscription connection to a room channel. */
    CompletionStage<Void> listen(String channel) {
        return sharded ? subscriptions.async().ssubscribe(channel) : subscriptions.async().subscribe(channel);
    }

    /** Unsubscribes the shared subscription connection from a room channel. */
    void unlisten(String channel) {
        if (sharded) {
            subscriptions.async().sunsubscribe(channel);
        } else {
            subscriptions.async().unsubscribe(channel);
        }
    }

    static String key(String room, String part) {
        return "mailroom:{room:" + room + "}:" + part;
    }

    private String channel(String room) {
        return feeds.channel(room);
    }

    private String newEpoch() {
        return Long.toString(random.nextLong() >>> 12, 36);
    }

    @Override
    public CompletionStage<Void> subscribe(String room, Feed feed) {
        feeds.add(room, feed);
        // again even if subscribed: its answer says that publications after it will come
        return metrics.timed(ClusterMetrics.Op.SUBSCRIBE, () -> listen(channel(room)));
    }

    @Override
    public void unsubscribe(String room, Feed feed) {
        feeds.remove(room, feed, () -> unlisten(channel(room)));
    }

    @Override
    public CompletionStage<Snapshot> read(String room, long after, int limit, boolean create) {
        String[] keys = {key(room, "meta"), key(room, "log")};
        // a read after a seq the room holds is how it fills a gap; the newest is how it (re)syncs
        boolean fill = after >= 0;
        if (fill) {
            metrics.gapFill();
        }
        return metrics.timed(fill ? ClusterMetrics.Op.FILL : ClusterMetrics.Op.READ,
                        () -> READ_SCRIPT.<List<Object>>run(redis, ScriptOutputType.MULTI, keys,
                                create ? newEpoch() : "", Long.toString(after), Integer.toString(Math.max(1, limit))))
                .thenApply(RedisRoomOrder::snapshot);
    }

    @Override
    public CompletionStage<Snapshot> page(String room, long after, int limit) {
        String[] keys = {key(room, "meta"), key(room, "log")};
        return metrics.timed(ClusterMetrics.Op.READ,
                        () -> READ_SCRIPT.<List<Object>>run(redis, ScriptOutputType.MULTI, keys,
                                "", Long.toString(after), Integer.toString(Math.max(1, limit))))
                .thenApply(RedisRoomOrder::snapshot);
    }

    private static Snapshot snapshot(List<Object> reply) {
        if (reply.isEmpty() || reply.get(0) == null) {
            return null;
        }
        String epoch = (String) reply.get(0);
        long lastSeq = (Long) reply.get(1);
        List<String> frames = new ArrayList<>((reply.size() - 2) / 2);
        long firstSeq = lastSeq + 1;
        for (int i = 2; i + 1 < reply.size(); i += 2) {
            if (i == 2) {
                String id = (String) reply.get(i);
                firstSeq = Long.parseLong(id.substring(0, id.indexOf('-')));
            }
            frames.add((String) reply.get(i + 1));
        }
        return new Snapshot(epoch, lastSeq, firstSeq, frames);
    }

    @Override
    public CompletionStage<Posted> append(String room, String id, String ts, String prefix, String suffix) {
        String[] keys = {key(room, "meta"), key(room, "log"), key(room, "post:" + id)};
        return metrics.timed(ClusterMetrics.Op.APPEND,
                        () -> append.<List<Object>>run(redis, ScriptOutputType.MULTI, keys, newEpoch(), prefix, suffix,
                                Integer.toString(historySize), channel(room), ts, Long.toString(POST_ID_TTL.toSeconds())))
                .exceptionallyCompose(e -> CompletableFuture.failedStage(certainlyNotRun(e) ? new NotStored(e) : e))
                .thenApply(r -> {
                    boolean repeat = (Long) r.get(4) == 1;
                    if (!repeat) {
                        metrics.published(); // before the room hears of it, so before the sender's ack
                    }
                    String frame = (String) r.get(2);
                    return new Posted(new Stored((String) r.get(0), (Long) r.get(1), frame.isEmpty() ? null : frame),
                            (String) r.get(3), repeat);
                });
    }

    /**
     * Whether a command that failed this way certainly did nothing: refused before it was sent (the
     * connection was down: commands are rejected, never queued) or refused by the server before it
     * ran. A timeout, or a connection lost while the command was out, leaves it open.
     */
    static boolean certainlyNotRun(Throwable failure) {
        Throwable e = LuaScript.unwrap(failure);
        return e instanceof RedisCommandExecutionException
                || (e instanceof RedisException && NOT_CONNECTED.equals(e.getMessage()));
    }

    /** Lettuce's refusal of a command while disconnected with {@code DisconnectedBehavior.REJECT_COMMANDS}. */
    private static final String NOT_CONNECTED = "Currently not connected. Commands are rejected.";

    /** The command connection, shared with {@link RedisRoomPresence}: one connection keeps a room's writes in the order they were made. */
    RedisAsyncCommands<String, String> commands() {
        return redis;
    }

    /**
     * The subscription connection, shared with {@link RedisRoomPresence}: one connection delivers a
     * room's presence changes and messages in the order Redis published them (a join before the
     * joiner's first message).
     */
    StatefulRedisPubSubConnection<String, String> subscriptions() {
        return subscriptions;
    }

    /** Redis's answer to PING, for the health check. */
    public CompletionStage<String> ping() {
        return metrics.timed(ClusterMetrics.Op.PING, redis::ping);
    }

    /** Whether both connections, commands and subscriptions, are open now (the client's view: no round trip). */
    public boolean connected() {
        return commands.isOpen() && subscriptions.isOpen();
    }

    /** Rooms whose publications this node receives now. */
    public int subscribedRooms() {
        return feeds.rooms();
    }

    private void published(String channel, String message) {
        // mailroom:{room:<name>}:pub (the connection carries presence channels too)
        if (!feeds.carries(channel)) {
            return;
        }
        metrics.received();
        Set<Feed> set = feeds.on(channel);
        int first = message.indexOf('\n');
        int second = message.indexOf('\n', first + 1);
        if (set == null || first < 0 || second < 0) {
            return;
        }
        Stored stored = new Stored(message.substring(0, first), Long.parseLong(message.substring(first + 1, second)),
                message.substring(second + 1));
        for (Feed f : set) {
            f.published(stored);
        }
    }


    @Override
    public void close() {
        subscriptions.close();
        commands.close();
    }
}
