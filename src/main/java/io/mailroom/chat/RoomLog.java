package io.mailroom.chat;

import io.mailroom.process.Pid;
import java.util.ArrayList;
import java.util.List;

/**
 * What a room must not lose when its process crashes: its messages (the last {@code capacity},
 * each a complete encoded {@code message} frame), its last {@code seq}, and its roster of member
 * sessions. It is owned by the {@link RoomStore}, which outlives every room process, as an ETS
 * table with an heir outlives its owner in OTP: a restarted room carries on from here.
 *
 * <p>Only the room's current process writes (one writer at a time: the registered name makes sure
 * of that); anyone may read. Reads and writes of the log are synchronized; the roster is an
 * immutable array published through a volatile field.
 */
public final class RoomLog {
    /** One member: its session process, its name as shown, and its claim's serial ({@link SessionDirectory.Claim#serial()}). */
    public record Member(Pid<Session.Msg> session, String user, long claim) {}

    /**
     * Stored messages from a seq on; whether some that were asked for are no longer stored
     * ({@code truncated}); and whether stored ones after these were left out by the limits ({@code more}).
     */
    public record Slice(List<OutFrame> frames, long firstSeq, boolean truncated, boolean more) {}

    private static final Member[] NO_MEMBERS = {};

    private final String room;
    private final OutFrame[] ring;
    private long lastSeq;
    private int stored;
    private volatile Member[] members = NO_MEMBERS;

    RoomLog(String room, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.room = room;
        this.ring = new OutFrame[capacity];
    }

    public String room() {
        return room;
    }

    /** The seq of the last accepted message; 0 before any. */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /** Messages stored now. */
    public synchronized int stored() {
        return stored;
    }

    /** Stores message {@code seq}, which must be {@link #lastSeq()} + 1; the oldest goes when full. */
    synchronized void append(long seq, OutFrame frame) {
        if (seq != lastSeq + 1) {
            throw new IllegalStateException("seq " + seq + " after " + lastSeq + " in room " + room);
        }
        ring[(int) ((seq - 1) % ring.length)] = frame;
        lastSeq = seq;
        if (stored < ring.length) {
            stored++;
        }
    }

    /** {@link #since(long, int, long)} with no bound on bytes. */
    public Slice since(long since, int limit) {
        return since(since, limit, Long.MAX_VALUE);
    }

    /**
     * Stored messages with {@code seq > since}, oldest first, at most {@code limit} of them and at
     * most {@code maxBytes} of frames (but always the first, so a client paging on never sticks);
     * truncated when some messages after {@code since} are no longer stored, more when stored
     * ones were left out.
     */
    public synchronized Slice since(long since, int limit, long maxBytes) {
        since = Math.max(0, since); // seqs start at 1
        if (since >= lastSeq) {
            // nothing after it; and since + 1 would overflow at Long.MAX_VALUE into the oldest message
            return new Slice(List.of(), lastSeq + 1, false, false);
        }
        long first = lastSeq - stored + 1;
        boolean truncated = lastSeq - stored > since;
        long from = Math.max(first, since + 1);
        List<OutFrame> out = new ArrayList<>((int) Math.max(0, Math.min(limit, lastSeq - from + 1)));
        long bytes = 0;
        long seq = from;
        for (; seq <= lastSeq && out.size() < limit; seq++) {
            OutFrame frame = ring[(int) ((seq - 1) % ring.length)];
            bytes += frame.bytes();
            if (bytes > maxBytes && !out.isEmpty()) {
                break;
            }
            out.add(frame);
        }
        return new Slice(out, from, truncated, seq <= lastSeq);
    }

    /** The last {@code limit} stored messages, oldest first. */
    public synchronized List<OutFrame> last(int limit) {
        long from = Math.max(lastSeq - stored + 1, lastSeq - limit + 1);
        List<OutFrame> out = new ArrayList<>((int) Math.max(0, lastSeq - from + 1));
        for (long seq = Math.max(1, from); seq <= lastSeq; seq++) {
            out.add(ring[(int) ((seq - 1) % ring.length)]);
        }
        return out;
    }

    /** The roster: every member session, in join order. Never modify the array. */
    public Member[] members() {
        return members;
    }

    void members(Member[] roster) {
        this.members = roster;
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
