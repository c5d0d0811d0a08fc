package io.mailroom.chat;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletionStage;

/**
 * Who is in a room on the other nodes (cluster mode, protocol.md §5): each node registers its own
 * members of each room, tagged with its node id, and hears the other nodes' joins and leaves; a node
 * that stops heartbeating loses its members from every room. On a single node there is none, and
 * each {@link Room}'s roster is the whole truth.
 *
 * <p>Every call is asynchronous, as with {@link RoomOrder}: a room process pipes the outcome to
 * itself. A failed stage means nothing is known to have been written; the room registers its whole
 * roster again later, which puts everything right.
 */
public interface RoomPresence {

    /** Some node's member joined ({@code joined}) or left a room, as published (may be missed; a register corrects). */
    record Change(String user, String node, boolean joined) {}

    /** What presence tells a room's process on this node; called on the store's threads. */
    interface Feed {
        /** A member of another node joined or left the room. */
        void changed(Change change);

        /** These nodes are gone for good: their members have left every room. */
        void nodesLost(Set<String> nodes);

        /** This node is registered (again, maybe under a new id): the room must register its roster now. */
        void reregister();
    }

    /**
     * Whether this node can write its members now (its last heartbeat succeeded). A join while it
     * cannot is refused: answered {@code joined}, the member would stay unseen by the other nodes
     * until the next heartbeat, and a member joining there meanwhile would not be told of it.
     */
    boolean live();

    /** Starts passing the room's changes to {@code feed}; completes once they are sure to come. */
    CompletionStage<Void> subscribe(String room, Feed feed);

    /** Stops passing the room's changes to {@code feed}. */
    void unsubscribe(String room, Feed feed);

    /**
     * Makes {@code users} exactly this node's members of the room (others hear the differences) and
     * answers the members on other live nodes: user to node id.
     */
    CompletionStage<Map<String, String>> register(String room, Collection<String> users);

    /** A member of this node joined the room. */
    CompletionStage<Void> joined(String room, String user);

    /** A member of this node left the room; {@code lastHere}: the room has no members on this node any more. */
    CompletionStage<Void> left(String room, String user, boolean lastHere);

    /** Every room with members on a live node: room to its members (every node's), sorted. */
    CompletionStage<SortedMap<String, List<String>>> everyRoom();

    /** The room's members on every live node, sorted. */
    CompletionStage<List<String>> members(String room);
}
