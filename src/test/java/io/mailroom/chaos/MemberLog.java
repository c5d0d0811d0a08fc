package io.mailroom.chaos;

import java.util.ArrayDeque;
import java.util.BitSet;

/**
 * What one member received of one room: a bitmap of seqs, the highest seq so far, and which seqs
 * came through REST paging (after {@code "more":true}) rather than the socket. Not thread-safe: its
 * client's lock guards it.
 */
final class MemberLog {
    /** Where a seq came from. */
    enum Source { LIVE, ACK, HISTORY, REST }

    /** What receiving a seq meant. */
    enum Outcome {
        /** the next seq: in order, first time */
        NEXT,
        /** a seq received before, over the socket (a contract breach) */
        DUPLICATE,
        /**
         * a seq the client already fetched with REST while paging arrives live as well: not a
         * duplicate of the socket's, the UI drops it by seq
         */
        REST_OVERLAP,
        /** not the next seq: a gap, or one out of order (a contract breach) */
        OUT_OF_ORDER
    }

    final String user;
    final String room;
    private final BitSet got = new BitSet();
    private final BitSet viaRest = new BitSet();
    private long last;
    private boolean everJoined;
    /** The last events of this member in this room, for the report when something goes wrong. */
    private final ArrayDeque<String> trail = new ArrayDeque<>();
    private static final int TRAIL = 40;

    MemberLog(String user, String room) {
        this.user = user;
        this.room = room;
    }

    Outcome receive(long seq, Source source) {
        note(source.name().charAt(0) + Long.toString(seq));
        int s = Math.toIntExact(seq);
        if (got.get(s)) {
            return viaRest.get(s) && source != Source.REST ? Outcome.REST_OVERLAP : Outcome.DUPLICATE;
        }
        got.set(s);
        if (source == Source.REST) {
            viaRest.set(s);
        }
        boolean next = seq == last + 1;
        last = Math.max(last, seq);
        return next ? Outcome.NEXT : Outcome.OUT_OF_ORDER;
    }

    /** Adds an event to the trail (connections, joins, pagings; receipts are added by {@link #receive}). */
    void note(String event) {
        if (trail.size() == TRAIL) {
            trail.removeFirst();
        }
        trail.addLast(event);
    }

    String trail() {
        return String.join(" ", trail);
    }

    long last() {
        return last;
    }

    /** Seqs in 1..upTo this member never received. */
    long missing(long upTo) {
        return upTo - got.get(1, Math.toIntExact(upTo) + 1).cardinality();
    }

    /** The first seq in 1..upTo this member never received, or 0. */
    long firstMissing(long upTo) {
        int m = got.nextClearBit(1);
        return m <= upTo ? m : 0;
    }

    boolean everJoined() {
        return everJoined;
    }

    void joined() {
        everJoined = true;
    }
}
