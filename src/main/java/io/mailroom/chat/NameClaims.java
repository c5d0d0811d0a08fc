package io.mailroom.chat;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Who holds each name across nodes (cluster mode, protocol.md §5): a name is claimed in the shared
 * store with a lease that the owning session keeps alive, and a fencing value, so an owner that lost
 * it can neither renew nor release it. On a single node there is none, and {@link SessionDirectory}
 * is the whole truth.
 *
 * <p>Every call is asynchronous, as with {@link RoomOrder}: a session process pipes the outcome to
 * itself. A failed stage means the store could not be reached (or did not answer in time): nothing
 * is known to have changed.
 */
public interface NameClaims {

    /** A name held in the store: its key there and the fencing value that proves this claim. */
    record Lease(String key, String value) {}

    /** The store's answer to a claim. */
    sealed interface Outcome {}

    /** The name is this claim's now; {@code tookOver}: from a live session, by its resume token. */
    record Won(Lease lease, boolean tookOver) implements Outcome {}

    /** Another live session holds the name (and the resume token, if any, was not its token). */
    record Taken() implements Outcome {}

    /** What a renewal found. */
    enum Renewal {
        /** Still this claim's, for another {@link #ttl()}. */
        HELD,
        /** Another claim holds the name now: this one is over. */
        LOST
    }

    /** How long a lease lasts after each claim or renewal; the owner renews it well before. */
    Duration ttl();

    /**
     * Claims the name (by its case-insensitive {@code key}) for a session whose resume token is
     * {@code token}; the store keeps only a hash of it. If a live session holds the name and
     * {@code resume} (may be null) is that session's token, takes it over atomically and tells the
     * node that held it. {@code takenOver} runs (on the store's threads) if a later claim takes
     * this one over by its token.
     */
    CompletionStage<Outcome> claim(String key, String token, String resume, Runnable takenOver);

    /** Extends the lease, if it is still this claim's. */
    CompletionStage<Renewal> renew(Lease lease);

    /** Frees the name, if it is still this claim's; best effort, answers nothing. */
    void release(Lease lease);
}
