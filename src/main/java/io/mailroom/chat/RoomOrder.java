package io.mailroom.chat;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The store that orders a room's messages across nodes (cluster mode, protocol.md §5): it gives
 * each message the room's next seq, stores it and publishes it, in one atomic step. On a single node
 * there is none, and each {@link Room} orders its own messages in its {@link RoomLog}.
 *
 * <p>Every call is asynchronous: a room process never waits on it, it pipes the outcome to itself.
 * A stage that fails means the store could not be reached; for {@link #append}, nothing was stored
 * if it failed with {@link NotStored}, and otherwise (its answer was lost, or came too late) the
 * message may or may not be stored: only sending it again under its id can tell.
 */
public interface RoomOrder {

    /** An {@link #append} that certainly stored nothing: the store refused it before any of it ran. */
    final class NotStored extends RuntimeException {
        public NotStored(Throwable cause) {
            super("not stored: " + cause.getMessage(), cause, false, false);
        }
    }

    /** Whether an {@link #append} failing with {@code failure} (as its stage gives it) certainly stored nothing. */
    static boolean notStored(Throwable failure) {
        Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return e instanceof NotStored;
    }

    /** The room's shared history: its epoch, last seq, and stored frames from {@code firstSeq} on, oldest first. */
    record Snapshot(String epoch, long lastSeq, long firstSeq, List<String> frames) {}

    /** A message stored (by any node) as {@code seq} of {@code epoch}: the complete {@code message} frame. */
    record Stored(String epoch, long seq, String frame) {}

    /**
     * The store's answer to {@link #append}: the message as stored, and its timestamp. For a post
     * the store already holds (its id seen within {@link #POST_ID_TTL}: a session sent it again
     * after the room's process ended before answering), the message as first stored: its seq, ts and
     * frame ({@code frame} null if the history no longer holds it), and nothing is stored again.
     */
    record Posted(Stored stored, String ts, boolean repeat) {}

    /** How long the store remembers a post's id, to answer a resend of it with its first seq. */
    java.time.Duration POST_ID_TTL = java.time.Duration.ofSeconds(60);

    /** What the store tells a room's process on this node; called on the store's threads. */
    interface Feed {
        /** A message some node stored (its publication; may be missed, or come twice). */
        void published(Stored message);

        /** The connection to the store came back: publications may have been missed meanwhile. */
        void reconnected();

        /** The connection to the store is lost. */
        void disconnected();
    }

    /** Starts passing the room's publications to {@code feed}; completes once they are sure to come. */
    CompletionStage<Void> subscribe(String room, Feed feed);

    /** Stops passing the room's publications to {@code feed}. */
    void unsubscribe(String room, Feed feed);

    /**
     * The room's epoch, last seq and up to {@code limit} stored frames: those after {@code after},
     * or with {@code after < 0} the newest. With {@code create}, a room the store does not know gets
     * a new epoch (seqs start at 1); without, the stage holds null for it.
     */
    CompletionStage<Snapshot> read(String room, long after, int limit, boolean create);

    /**
     * A client's page of the room's history (REST): as {@link #read} without {@code create}; not a
     * gap fill, so not counted as one.
     */
    CompletionStage<Snapshot> page(String room, long after, int limit);

    /**
     * Sequences, stores and publishes one message whose frame is {@code prefix + seq + suffix}
     * (the seq is the store's to give), stamped {@code ts}; unless the post {@code id} (the same
     * across a session's resends of one post) was stored within {@link #POST_ID_TTL}: then nothing
     * is stored or published, and the answer is the first one ({@link Posted#repeat()}). Once
     * stored, a post is stored once, whichever room process or node it is sent to again.
     */
    CompletionStage<Posted> append(String room, String id, String ts, String prefix, String suffix);
}
