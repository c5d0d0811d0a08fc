package io.mailroom.chat;

import io.mailroom.process.Pid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a room must not lose when its process crashes: its messages (the last {@code capacity},
 * each a complete encoded {@code message} frame), its last {@code seq}, its {@code epoch} and its
 * roster of member sessions. It is owned by the {@link RoomStore}, which outlives every room
 * process, as an ETS table with an heir outlives its owner in OTP: a restarted room carries on from
 * here.
 *
 * <p>Only the room's current process writes messages and the roster (one writer at a time: the
 * registered name makes sure of that); anyone may read; the store may drop the stored messages of
 * a room without members to keep the node within its history budget. Reads and writes of the
 * messages are synchronized; the roster is an immutable array published through a volatile field.
 *
 * <p>The ring of messages grows by doubling as messages come, up to {@code capacity}, and is let
 * go when the history is dropped: a room with few messages, or none, costs little.
 */
public final class RoomLog {
    /** One member: its session process, its name as shown, and its claim's serial ({@link SessionDirectory.Claim#serial()}). */
    public record Member(Pid<Session.Msg> session, String user, long claim) {}

    /**
     * Stored messages from a seq on; whether some that were asked for are no longer stored
     * ({@code truncated}); and whether stored ones were left out by the limits ({@code more}).
     */
    public record Slice(List<OutFrame> frames, long firstSeq, boolean truncated, boolean more) {}

    private static final Member[] NO_MEMBERS = {};
    private static final OutFrame[] EMPTY = {};
    /** The first ring allocated; it doubles from here up to the capacity. */
    static final int FIRST_RING = 16;

    private final String room;
    private final String epoch;
    private final int capacity;
    private OutFrame[] ring = EMPTY;
    private long lastSeq;
    private int stored;
    /** UTF-8 bytes of the stored frames. */
    private long bytes;
    /** {@link System#nanoTime()} of the last append or read of messages: the store drops least recently used first. */
    private volatile long lastUsed = System.nanoTime();
    private volatile Member[] members = NO_MEMBERS;
    /**
     * Cluster mode: the room's members on other nodes, name to node id, kept here with the roster
     * so a restarted room process still knows whom its members have been told of. Only the room's
     * process reads or changes it (a restarted one after the old one ended); empty on a single node.
     */
    private volatile Map<String, String> remote = Map.of();
    /** The room process using this log, or null; read and written only inside the store's per-room compute. */
    Pid<?> owner;

    RoomLog(String room, int capacity, String epoch, long lastSeq) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.room = room;
        this.capacity = capacity;
        this.epoch = epoch;
        this.lastSeq = lastSeq;
    }

    public String room() {
        return room;
    }

    /**
     * The name of this history (protocol.md §1, v1.1): the same for as long as the room's seqs
     * continue, another when they start again from 1.
     */
    public String epoch() {
        return epoch;
    }

    /** The seq of the last accepted message; 0 before any. */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /** Messages stored now. */
    public synchronized int stored() {
        return stored;
    }

    /** UTF-8 bytes of the messages stored now. */
    public synchronized long bytes() {
        return bytes;
    }

    long lastUsed() {
        return lastUsed;
    }

    /**
     * Stores message {@code seq}, which must be {@link #lastSeq()} + 1; the oldest goes when full.
     * Returns by how many bytes the stored history grew (less than the frame when one went).
     * Called through {@link RoomStore#append}, which keeps the node's total.
     */
    synchronized long append(long seq, OutFrame frame) {
        if (seq != lastSeq + 1) {
            throw new IllegalStateException("seq " + seq + " after " + lastSeq + " in room " + room);
        }
        if (stored == ring.length && ring.length < capacity) {
            grow();
        }
        int slot = slot(seq);
        long delta = frame.bytes();
        if (stored == ring.length) {
            delta -= ring[slot].bytes(); // the oldest, seq - capacity, goes
        } else {
            stored++;
        }
        ring[slot] = frame;
        lastSeq = seq;
        bytes += delta;
        lastUsed = System.nanoTime();
        return delta;
    }

    /** Doubles the ring (up to the capacity), each stored message moving to its slot in the new one. */
    private void grow() {
        OutFrame[] next = new OutFrame[(int) Math.min(capacity, Math.max(FIRST_RING, 2L * ring.length))];
        for (long seq = lastSeq - stored + 1; seq <= lastSeq; seq++) {
            next[(int) ((seq - 1) % next.length)] = ring[slot(seq)];
        }
        ring = next;
    }

    private int slot(long seq) {
        return (int) ((seq - 1) % ring.length);
    }

    /**
     * Drops every stored message if the room has no members now; the seq and epoch stay, so a later
     * {@code since} join says {@code truncated} and numbering continues. Returns the bytes freed.
     */
    synchronized long dropHistoryIfNoMembers() {
        if (members.length > 0 || stored == 0) {
            return 0;
        }
        long freed = bytes;
        ring = EMPTY;
        stored = 0;
        bytes = 0;
        return freed;
    }

    /** {@link #since(long, int, long)} with no bound on bytes. */
    public Slice since(long since, int limit) {
        return since(since, limit, Long.MAX_VALUE);
    }

    /**
     * Stored messages with {@code seq > since}, oldest first, at most {@code limit} of them and at
     * most {@code maxBytes} of frames (but always the first, so a client paging on never sticks);
     * truncated when some messages after {@code since} are no longer stored, more when stored
     * ones after these were left out.
     */
    public synchronized Slice since(long since, int limit, long maxBytes) {
        lastUsed = System.nanoTime();
        since = Math.max(0, since); // seqs start at 1
        if (since >= lastSeq) {
            // nothing after it; and since + 1 would overflow at Long.MAX_VALUE into the oldest message
            return new Slice(List.of(), lastSeq + 1, false, false);
        }
        long first = lastSeq - stored + 1;
        boolean truncated = lastSeq - stored > since;
        long from = Math.max(first, since + 1);
        List<OutFrame> out = new ArrayList<>((int) Math.max(0, Math.min(limit, lastSeq - from + 1)));
        long total = 0;
        long seq = from;
        for (; seq <= lastSeq && out.size() < limit; seq++) {
            OutFrame frame = ring[slot(seq)];
            total += frame.bytes();
            if (total > maxBytes && !out.isEmpty()) {
                break;
            }
            out.add(frame);
        }
        return new Slice(out, from, truncated, seq <= lastSeq);
    }

    /** The last {@code limit} stored messages, oldest first. */
    public List<OutFrame> last(int limit) {
        return last(limit, Long.MAX_VALUE).frames();
    }

    /**
     * The last {@code limit} stored messages, oldest first, but at most {@code maxBytes} of frames
     * (always the newest one): the newest that fit. {@code more} when older ones within the limit
     * were left out by the byte bound.
     */
    public synchronized Slice last(int limit, long maxBytes) {
        lastUsed = System.nanoTime();
        long oldest = Math.max(lastSeq - stored + 1, lastSeq - limit + 1);
        long from = lastSeq + 1;
        long total = 0;
        while (from > Math.max(1, oldest)) {
            total += ring[slot(from - 1)].bytes();
            if (total > maxBytes && from <= lastSeq) {
                break;
            }
            from--;
        }
        List<OutFrame> out = new ArrayList<>((int) (lastSeq - from + 1));
        for (long seq = from; seq <= lastSeq; seq++) {
            out.add(ring[slot(seq)]);
        }
        return new Slice(out, from, false, from > Math.max(1, oldest));
    }

    /** The roster: every member session, in join order. Never modify the array. */
    public Member[] members() {
        return members;
    }

    void members(Member[] roster) {
        this.members = roster;
    }

    /** The room's members on other nodes (cluster mode): name to node id; for its process only. */
    Map<String, String> remote() {
        return remote;
    }

    void remote(Map<String, String> others) {
        this.remote = others;
    }

    /** Member names, sorted (plain string order). */
    public List<String> memberNames() {
        Member[] roster = members;
        List<String> names = new ArrayList<>(roster.length);
        for (Member m : roster) {
            names.add(m.user());
        }
        names.sort(null);
        return names;
    }
}
