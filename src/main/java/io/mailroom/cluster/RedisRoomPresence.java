package io.mailroom.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.mailroom.chat.RoomPresence;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat's {@link RoomPresence} on Redis (design.md "Across machines": heartbeats and a TTL).
 * Keys:
 * <ul>
 *   <li>{@code mailroom:nodes}, a sorted set: every live node's id, scored with the Redis time (ms)
 *       until which it counts as alive; each node moves its own deadline on every heartbeat;
 *   <li>{@code mailroom:{room:<name>}:members}, a hash: member name to the id of the node it is on
 *       (the room's hash tag, beside its other keys);
 *   <li>{@code mailroom:{node:<id>}:rooms}, a set: the rooms that may hold members of that node, so
 *       whoever finds the node dead knows where to remove them; always added to before the room's
 *       hash and taken from after it, so it never misses one;
 *   <li>channel {@code mailroom:{room:<name>}:presence}: {@code +<node>\n<user>} or {@code -<node>\n<user>}
 *       for every change of the hash. It shares the subscription connection of {@link RedisRoomOrder},
 *       and writes share its command connection, so a member's join reaches the other nodes before
 *       anything it sends after it.
 * </ul>
 *
 * <p><b>Timing.</b> With {@code presence-ttl} T, a node beats every T/6 and sets its deadline to
 * now + 2T/3 (Redis's clock, so the nodes' clocks do not matter). A node that stops beating is past
 * its deadline at most 2T/3 after its last beat, and every other node's next beat (at most T/6 on)
 * sees that: its members are gone from every room within 5T/6 of its last beat, inside T with room
 * for the work that follows. A live node has T/2 of slack for a late beat.
 *
 * <p><b>Ids are never used twice.</b> A node whose beat finds its own deadline passed (it was cut
 * off, and the others may have removed its members already) takes a new id and has its rooms
 * register their rosters again under it: nothing written under a dead id can come back to life,
 * so removing a dead node's members needs no lock: every node that sees it dead removes them, each
 * member with one atomic script that removes and announces it only if it is still that node's.
 *
 * <p><b>A failed beat is tried again soon</b> ({@link #RETRY_MILLIS} after its answer, not at the
 * next period): until one is answered this node's rooms refuse joins, so it should not stay so long
 * after Redis is back.
 *
 * <p>Nothing here blocks a caller: commands are Lettuce's async ones, and the heartbeat runs on its
 * own timer thread, which only issues commands.
 */
public final class RedisRoomPresence implements RoomPresence, ClusterNodes, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisRoomPresence.class);
    static final String NODES = "mailroom:nodes";
    /** How soon a failed beat is tried again. */
    static final long RETRY_MILLIS = 100;
    /** Dead node ids remembered, so that a late join under one is ignored; ids are never reused. */
    static final int DEAD_REMEMBERED = 10_000;

    /**
     * KEYS nodes; ARGV id, ms to the new deadline, '1' for an id not registered yet. Returns
     * {1 (alive) or 0 (this id's deadline had passed: take a new one), the ids past their deadline…}.
     */
    static final String HEARTBEAT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local alive = 1
            if ARGV[3] ~= '1' then
              local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
              if not deadline or tonumber(deadline) < now then alive = 0 end
            end
            if alive == 1 then
              redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
            end
            local out = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', now))
            table.insert(out, 1, alive)
            return out
            """;

    /** KEYS nodes. The ids whose deadline has not passed. */
    static final String LIVE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            return redis.call('ZRANGEBYSCORE', KEYS[1], string.format('%.0f', now), '+inf')
            """;

    /** KEYS members; ARGV node, user, channel. */
    static final String JOIN = """
            local was = redis.call('HGET', KEYS[1], ARGV[2])
            if was ~= ARGV[1] then
              redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
              redis.call('PUBLISH', ARGV[3], '+' .. ARGV[1] .. '\\n' .. ARGV[2])
            end
            return 1
            """;

    /** KEYS members; ARGV node, user, channel. Only the node's own entry goes (the name may have moved on). */
    static final String LEAVE = """
            if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then
              redis.call('HDEL', KEYS[1], ARGV[2])
              redis.call('PUBLISH', ARGV[3], '-' .. ARGV[1] .. '\\n' .. ARGV[2])
            end
            return 1
            """;

    /**
     * KEYS members; ARGV node, channel, users…: those become exactly the node's members, each
     * change announced. Returns the whole hash, flat. With no users: removes the node from the room
     * (how a dead node's members go).
     */
    static final String REGISTER = """
            local want = {}
            for i = 3, #ARGV do want[ARGV[i]] = true end
            local all = redis.call('HGETALL', KEYS[1])
            for i = 1, #all, 2 do
              if all[i + 1] == ARGV[1] and not want[all[i]] then
                redis.call('HDEL', KEYS[1], all[i])
                redis.call('PUBLISH', ARGV[2], '-' .. ARGV[1] .. '\\n' .. all[i])
              end
            end
            for i = 3, #ARGV do
              if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[1] then
                redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
                redis.call('PUBLISH', ARGV[2], '+' .. ARGV[1] .. '\\n' .. ARGV[i])
              end
            end
            return redis.call('HGETALL', KEYS[1])
            """;

    /** The scripts that publish nothing; those that publish on room channels are made per node, below. */
    private static final LuaScript HEARTBEAT_SCRIPT = LuaScript.of(HEARTBEAT);
    private static final LuaScript LIVE_SCRIPT = LuaScript.of(LIVE);

    private final RedisAsyncCommands<String, String> redis;
    private final StatefulRedisPubSubConnection<String, String> subscriptions;
    private final long periodMillis;
    private final long deadlineMillis;
    private final SecureRandom random = new SecureRandom();
    private final RoomChannels<Feed> feeds = new RoomChannels<>("presence");
    /** Every id this node has had: changes under them are its own rooms' doing, not news to them. */
    private final Set<String> mine = ConcurrentHashMap.newKeySet();
    /** Ids seen past their deadline (oldest first, bounded); guarded by itself. */
    private final Map<String, Boolean> dead = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > DEAD_REMEMBERED;
        }
    };
    /** Dead ids whose members this node is removing now. */
    private final Set<String> sweeping = ConcurrentHashMap.newKeySet();
    /** The order's connections are shared, and its choice of plain or shard channels. */
    private final RedisRoomOrder order;
    /** The scripts that publish on room channels, as the server takes them (PUBLISH or SPUBLISH). */
    private final LuaScript register;
    private final LuaScript join;
    private final LuaScript leave;
    private final AtomicBoolean beating = new AtomicBoolean();
    private final ScheduledExecutorService timer;
    private volatile String node;
    /** The id has not been entered into {@link #NODES} yet. */
    private volatile boolean fresh;
    /** The last beat under the current id succeeded: writes may be made under it. */
    private volatile boolean live;
    private volatile boolean closed;

    private RedisRoomPresence(RedisClient client, RedisRoomOrder order, Duration ttl) {
        this.order = order;
        this.register = order.roomScript(REGISTER);
        this.join = order.roomScript(JOIN);
        this.leave = order.roomScript(LEAVE);
        order.cached(HEARTBEAT_SCRIPT);
        order.cached(LIVE_SCRIPT);
        this.redis = order.commands();
        this.subscriptions = order.subscriptions();
        this.periodMillis = Math.max(1, ttl.toMillis() / 6);
        this.deadlineMillis = Math.max(1, ttl.toMillis() * 2 / 3);
        newId();
        subscriptions.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                heard(channel, message);
            }

            @Override
            public void smessage(String channel, String message) {
                heard(channel, message);
            }
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mailroom-presence");
            t.setDaemon(true);
            return t;
        });
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                beatAfter(0); // back: say so at once, and learn whether this id survived
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                live = false;
            }
        });
    }

    /**
     * Starts beating; waits (up to {@code timeout}) for the first beat, so the node's rooms can
     * register at once. If Redis does not answer, the node is not live until a later beat succeeds.
     */
    public static RedisRoomPresence start(RedisClient client, RedisRoomOrder order, Duration ttl, Duration timeout) {
        RedisRoomPresence presence = new RedisRoomPresence(client, order, ttl);
        try {
            presence.beat().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("presence: the first heartbeat failed; retrying every {} ms", presence.periodMillis, e);
        }
        presence.timer.scheduleAtFixedRate(presence::beatQuietly, presence.periodMillis, presence.periodMillis,
                TimeUnit.MILLISECONDS);
        return presence;
    }

    static String membersKey(String room) {
        return RedisRoomOrder.key(room, "members");
    }

    private String channel(String room) {
        return feeds.channel(room);
    }

    static String roomsKey(String node) {
        return "mailroom:{node:" + node + "}:rooms";
    }

    /** This node's id now (it changes only after the node was taken for dead). */
    public String node() {
        return node;
    }

    /** Whether this node's last heartbeat succeeded under its current id. */
    @Override
    public boolean live() {
        return live;
    }

    private void newId() {
        String id = Long.toString(random.nextLong() >>> 1, 36);
        mine.add(id);
        fresh = true;
        node = id;
    }

    // ---- the heartbeat

    private void beatAfter(long millis) {
        if (!closed) {
            try {
                timer.schedule(this::beatQuietly, millis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void beatQuietly() {
        beat();
    }

    /** One heartbeat, unless one is on its way; completes when its answer is handled. */
    CompletionStage<Void> beat() {
        if (closed || !beating.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        String id = node;
        CompletionStage<List<Object>> reply;
        try {
            reply = HEARTBEAT_SCRIPT.run(redis, ScriptOutputType.MULTI, new String[] {NODES}, id,
                    Long.toString(deadlineMillis), fresh ? "1" : "0");
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.handle((answer, error) -> {
            boolean again = false;
            try {
                if (error != null) {
                    if (live) {
                        LOG.warn("presence: heartbeat failed; this node's rooms refuse joins until one succeeds: {}",
                                String.valueOf(error));
                    }
                    live = false;
                } else {
                    again = beaten(id, answer);
                    liveNodes().thenAccept(ids -> nodeCount = ids.size());
                }
            } finally {
                beating.set(false); // only now: one beat's answer is handled before the next is sent
            }
            if (again) {
                beatAfter(0);
            } else if (error != null) {
                beatAfter(RETRY_MILLIS);
            }
            return null;
        });
    }

    /** Live nodes as the last heartbeat saw them, this one included; 0 before the first. */
    private volatile int nodeCount;

    @Override
    public int count() {
        return nodeCount;
    }

    /** Handles a beat's answer; true if the node took a new id and must beat again at once. */
    private boolean beaten(String id, List<Object> answer) {
        if (!id.equals(node)) {
            return false;
        }
        if ((Long) answer.get(0) == 0) {
            LOG.warn("presence: this node's id {} is past its deadline (it was cut off from Redis too long), so"
                    + " its members have left every room; registering them again under a new id", id);
            live = false;
            newId();
            return true;
        }
        fresh = false;
        List<String> expired = new ArrayList<>();
        for (int i = 1; i < answer.size(); i++) {
            String other = (String) answer.get(i);
            if (!other.equals(id)) {
                expired.add(other);
            }
        }
        Set<String> newlyDead = new HashSet<>();
        synchronized (dead) {
            for (String d : expired) {
                if (dead.put(d, Boolean.TRUE) == null && !mine.contains(d)) {
                    newlyDead.add(d);
                }
            }
        }
        if (!newlyDead.isEmpty()) {
            LOG.info("presence: nodes {} stopped heartbeating; their members leave every room", newlyDead);
            Set<String> lost = Set.copyOf(newlyDead);
            feeds.everyFeed(f -> f.nodesLost(lost));
        }
        for (String d : expired) {
            sweep(d);
        }
        if (!live) {
            live = true;
            feeds.everyFeed(Feed::reregister);
        }
        return false;
    }

    private boolean isDead(String id) {
        synchronized (dead) {
            return dead.containsKey(id);
        }
    }

    /** Removes a dead node's members from every room it had, announcing each, then the node itself. */
    private CompletionStage<Void> sweep(String id) {
        if (!sweeping.add(id)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<Void> done;
        try {
            done = redis.smembers(roomsKey(id)).thenCompose(rooms -> {
                List<CompletableFuture<?>> removals = new ArrayList<>();
                for (String room : rooms) {
                    removals.add(register.<List<Object>>run(redis, ScriptOutputType.MULTI, new String[] {membersKey(room)}, id,
                            channel(room)).toCompletableFuture());
                }
                return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
            }).thenCompose(v -> redis.del(roomsKey(id))).thenCompose(v -> redis.zrem(NODES, id)).thenApply(v -> null);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.whenComplete((v, error) -> {
            sweeping.remove(id);
            if (error != null) {
                LOG.debug("presence: removing node {}'s members failed (the next beat tries again)", id, error);
            }
        });
    }

    // ---- what rooms hear

    @Override
    public CompletionStage<Void> subscribe(String room, Feed feed) {
        feeds.add(room, feed);
        return order.listen(channel(room));
    }

    @Override
    public void unsubscribe(String room, Feed feed) {
        feeds.remove(room, feed, () -> order.unlisten(channel(room)));
    }

    private void heard(String channel, String message) {
        if (!feeds.carries(channel)) {
            return; // a room's messages: RedisRoomOrder's
        }
        int newline = message.indexOf('\n');
        if (newline < 1) {
            return;
        }
        Set<Feed> set = feeds.on(channel);
        String from = message.substring(1, newline);
        boolean joined = message.charAt(0) == '+';
        if (set == null || mine.contains(from) || (joined && isDead(from))) {
            return; // not subscribed; this node's own; a late join under an id already gone
        }
        Change change = new Change(message.substring(newline + 1), from, joined);
        for (Feed f : set) {
            f.changed(change);
        }
    }


    // ---- writes, under the current id, only while it is live

    private static <T> CompletionStage<T> notLive() {
        return CompletableFuture.failedFuture(new IllegalStateException("this node is not registered with Redis now"));
    }

    @Override
    public CompletionStage<Map<String, String>> register(String room, Collection<String> users) {
        if (!live) {
            return notLive();
        }
        String id = node;
        List<String> args = new ArrayList<>(users.size() + 2);
        args.add(id);
        args.add(channel(room));
        args.addAll(users);
        // the node's set first: a node found dead meanwhile has every room of its members listed
        CompletionStage<Long> listed = users.isEmpty() ? CompletableFuture.completedFuture(0L)
                : redis.sadd(roomsKey(id), room);
        CompletionStage<List<Object>> written = register.<List<Object>>run(redis, ScriptOutputType.MULTI,
                new String[] {membersKey(room)}, args.toArray(String[]::new));
        CompletionStage<Long> unlisted = users.isEmpty() ? redis.srem(roomsKey(id), room)
                : CompletableFuture.completedFuture(0L);
        return listed.thenCombine(unlisted, (a, b) -> a).thenCombine(written, (a, hash) -> others(hash));
    }

    /** The members of a flat hash reply that are on other nodes not known to be dead. */
    private Map<String, String> others(List<Object> hash) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i + 1 < hash.size(); i += 2) {
            String on = (String) hash.get(i + 1);
            if (!mine.contains(on) && !isDead(on)) {
                out.put((String) hash.get(i), on);
            }
        }
        return out;
    }

    @Override
    public CompletionStage<Void> joined(String room, String user) {
        if (!live) {
            return notLive();
        }
        String id = node;
        CompletionStage<Long> listed = redis.sadd(roomsKey(id), room);
        CompletionStage<Object> written = join.run(redis, ScriptOutputType.INTEGER, new String[] {membersKey(room)},
                id, user, channel(room));
        return listed.thenCombine(written, (a, b) -> null);
    }

    @Override
    public CompletionStage<Void> left(String room, String user, boolean lastHere) {
        if (!live) {
            return notLive();
        }
        String id = node;
        CompletionStage<Object> written = leave.run(redis, ScriptOutputType.INTEGER, new String[] {membersKey(room)},
                id, user, channel(room));
        CompletionStage<Long> unlisted = lastHere ? redis.srem(roomsKey(id), room) : CompletableFuture.completedFuture(0L);
        return written.thenCombine(unlisted, (a, b) -> null);
    }

    // ---- reads for the REST API: every live node's members

    private CompletionStage<Set<String>> liveNodes() {
        return LIVE_SCRIPT.<List<Object>>run(redis, ScriptOutputType.MULTI, new String[] {NODES}).thenApply(ids -> {
            Set<String> out = new HashSet<>();
            ids.forEach(id -> out.add((String) id));
            return out;
        });
    }

    /** The sorted names in a members hash that are on {@code live} nodes. */
    private static List<String> namesOn(Map<String, String> hash, Set<String> live) {
        TreeSet<String> names = new TreeSet<>();
        hash.forEach((user, on) -> {
            if (live.contains(on)) {
                names.add(user);
            }
        });
        return List.copyOf(names);
    }

    @Override
    public CompletionStage<SortedMap<String, List<String>>> everyRoom() {
        return liveNodes().thenCompose(live -> {
            List<CompletableFuture<Set<String>>> lists = new ArrayList<>();
            for (String id : live) {
                lists.add(redis.smembers(roomsKey(id)).toCompletableFuture());
            }
            return CompletableFuture.allOf(lists.toArray(CompletableFuture[]::new)).thenCompose(v -> {
                Map<String, CompletableFuture<Map<String, String>>> hashes = new TreeMap<>();
                for (CompletableFuture<Set<String>> list : lists) {
                    for (String room : list.join()) {
                        hashes.computeIfAbsent(room, r -> redis.hgetall(membersKey(r)).toCompletableFuture());
                    }
                }
                return CompletableFuture.allOf(hashes.values().toArray(CompletableFuture[]::new)).thenApply(w -> {
                    SortedMap<String, List<String>> out = new TreeMap<>();
                    hashes.forEach((room, hash) -> {
                        List<String> names = namesOn(hash.join(), live);
                        if (!names.isEmpty()) {
                            out.put(room, names);
                        }
                    });
                    return out;
                });
            });
        });
    }

    @Override
    public CompletionStage<List<String>> members(String room) {
        return liveNodes().thenCombine(redis.hgetall(membersKey(room)), (live, hash) -> namesOn(hash, live));
    }

    /**
     * A clean stop: no more writes, and this node's members leave every room now (waiting up to a
     * beat's deadline), rather than when the others find its heartbeat gone.
     */
    @Override
    public void close() {
        closed = true;
        live = false;
        timer.shutdownNow();
        try {
            sweep(node).toCompletableFuture().get(deadlineMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.info("presence: could not remove this node's members on the way out ({}); the others will, within"
                    + " presence-ttl", String.valueOf(e));
        }
    }
}
