package io.mailroom.web;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * How often each client address may do something: a token bucket per address, {@code burst}
 * tokens refilled at {@code perSecond}. The {@code crash} requests of protocol.md §3 (v1.1) take a
 * token each; so do admin logins, which give it back when the password was right, and are not
 * even checked while their address has none left.
 *
 * <p>The address is the caller's to choose: {@code request.getRemoteAddr()}, which is the peer's,
 * or the one a trusted proxy forwarded when {@code server.forward-headers-strategy} is set.
 *
 * <p>Memory stays bounded whatever addresses clients claim: a bucket that has refilled to the
 * brim is the same as no bucket, so such idle buckets are swept out once the table holds
 * {@code maxAddresses}; while it is still that full, further addresses share one overflow bucket
 * (a flood from many addresses is then limited as one client). Thread-safe.
 */
public final class AddressRate {
    private final double perSecond;
    private final int burst;
    private final int maxAddresses;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Bucket overflow;
    private final AtomicLong nextSweep;

    /**
     * @param perSecond    tokens added a second; 0 or less turns the limit off
     * @param burst        tokens a bucket holds: requests allowed at once after a quiet spell
     * @param maxAddresses addresses with a bucket of their own
     */
    public AddressRate(double perSecond, int burst, int maxAddresses) {
        this(perSecond, burst, maxAddresses, System::nanoTime);
    }

    /** With the clock a test drives: nanoseconds, as {@link System#nanoTime()}. */
    AddressRate(double perSecond, int burst, int maxAddresses, LongSupplier nanoClock) {
        if (perSecond > 0 && (burst < 1 || maxAddresses < 1)) {
            throw new IllegalArgumentException("burst and maxAddresses must be at least 1");
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxAddresses = maxAddresses;
        this.nanoClock = nanoClock;
        long now = nanoClock.getAsLong();
        this.overflow = new Bucket(burst, now);
        this.nextSweep = new AtomicLong(now);
    }

    /** The answer to one request: allowed, or refused with how long until a token is back. */
    public record Decision(boolean allowed, long retryAfterNanos) {
        static final Decision ALLOWED = new Decision(true, 0);
    }

    /** Takes a token from {@code address}'s bucket if it has one. */
    public Decision take(String address) {
        if (perSecond <= 0) {
            return Decision.ALLOWED;
        }
        long now = nanoClock.getAsLong();
        Bucket bucket = buckets.get(address);
        if (bucket == null) {
            bucket = newBucket(address, now);
        }
        return bucket.take(now, burst, perSecond);
    }

    /**
     * Puts back the token {@link #take} took, for limits that count only requests that turn out
     * bad: a login takes a token before its password is checked (so concurrent attempts cannot
     * overdraw the bucket) and gives it back when the password was right.
     */
    public void giveBack(String address) {
        if (perSecond <= 0) {
            return;
        }
        Bucket bucket = buckets.get(address);
        (bucket == null ? overflow : bucket).giveBack(nanoClock.getAsLong(), burst, perSecond);
    }

    /** The limit as a person reads it: {@code 20/s, burst 20}. */
    @Override
    public String toString() {
        return perSecond <= 0 ? "unlimited" : String.format(Locale.ROOT, "%s/s, burst %d",
                perSecond == Math.rint(perSecond) ? String.valueOf((long) perSecond) : String.valueOf(perSecond), burst);
    }

    /** Addresses holding a bucket of their own now. */
    int addresses() {
        return buckets.size();
    }

    private Bucket newBucket(String address, long now) {
        if (buckets.size() >= maxAddresses) {
            sweep(now);
            if (buckets.size() >= maxAddresses) {
                return overflow;
            }
        }
        return buckets.computeIfAbsent(address, a -> new Bucket(burst, now));
    }

    /** Drops the buckets that are full again; at most once per refill time, so a flood does not sweep per request. */
    private void sweep(long now) {
        long due = nextSweep.get();
        long refillNanos = (long) (burst / perSecond * 1e9);
        if (now - due < 0 || !nextSweep.compareAndSet(due, now + Math.max(refillNanos, 1_000_000_000L))) {
            return;
        }
        buckets.values().removeIf(b -> b.isFull(now, burst, perSecond));
    }

    /** One address's tokens. */
    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(int burst, long now) {
            this.tokens = burst;
            this.last = now;
        }

        synchronized Decision take(long now, int burst, double perSecond) {
            refill(now, burst, perSecond);
            if (tokens >= 1) {
                tokens -= 1;
                return Decision.ALLOWED;
            }
            return new Decision(false, (long) Math.ceil((1 - tokens) / perSecond * 1e9));
        }

        synchronized void giveBack(long now, int burst, double perSecond) {
            refill(now, burst, perSecond);
            tokens = Math.min(burst, tokens + 1);
        }

        synchronized boolean isFull(long now, int burst, double perSecond) {
            refill(now, burst, perSecond);
            return tokens >= burst;
        }

        private void refill(long now, int burst, double perSecond) {
            long elapsed = now - last;
            if (elapsed > 0) {
                tokens = Math.min(burst, tokens + elapsed * perSecond / 1e9);
                last = now;
            }
        }
    }
}
