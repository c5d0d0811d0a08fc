package io.mailroom.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local feeds of one kind of room channel ({@code mailroom:{room:<name>}:<kind>}, e.g. a room's
 * messages or its presence) on the shared subscription connection: the first feed of a room
 * subscribes its channel, the last one gone unsubscribes it.
 *
 * @param <F> the feed type
 */
final class RoomChannels<F> {
    private static final Logger LOG = LoggerFactory.getLogger(RoomChannels.class);

    private final String kind;
    private final String suffix;
    private final ConcurrentHashMap<String, Set<F>> feeds = new ConcurrentHashMap<>();

    RoomChannels(String kind) {
        this.kind = kind;
        this.suffix = ":" + kind;
    }

    /** The room's channel of this kind. */
    String channel(String room) {
        return RedisRoomOrder.key(room, kind);
    }

    /** Whether a publication on {@code channel} is of this kind (the connection carries every kind). */
    boolean carries(String channel) {
        return channel.endsWith(suffix);
    }

    /** Adds {@code feed} to the room's. */
    void add(String room, F feed) {
        feeds.compute(room, (r, set) -> {
            Set<F> out = set != null ? set : ConcurrentHashMap.newKeySet();
            out.add(feed);
            return out;
        });
    }

    /**
     * Removes {@code feed}; if it was the room's last, runs {@code lastGone} inside the map's update,
     * so that an unsubscribe it sends goes before the subscribe of a feed added after.
     */
    void remove(String room, F feed, Runnable lastGone) {
        feeds.computeIfPresent(room, (r, set) -> {
            set.remove(feed);
            if (!set.isEmpty()) {
                return set;
            }
            lastGone.run();
            return null;
        });
    }

    /** The feeds of the room whose channel is {@code channel}, or null when there are none here. */
    Set<F> on(String channel) {
        int open = channel.indexOf("{room:");
        int close = channel.indexOf('}', open);
        return open < 0 || close < 0 ? null : feeds.get(channel.substring(open + 6, close));
    }

    /** Rooms with a feed here. */
    int rooms() {
        return feeds.size();
    }

    /** Tells every feed of every room; a feed that throws is logged and the others are still told. */
    void everyFeed(Consumer<F> event) {
        for (Set<F> set : feeds.values()) {
            for (F f : set) {
                try {
                    event.accept(f);
                } catch (RuntimeException e) {
                    LOG.warn("a room's {} feed failed", kind, e);
                }
            }
        }
    }
}
