package io.mailroom.chaos;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, lock-free, in log buckets of 1/16 of a power of two (so a percentile
 * is exact below 16 µs and within 6.25 % above). Enough for p50/p99 over millions of samples
 * without keeping them.
 */
final class LatencyHistogram {
    private static final int SUB = 16;
    private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);

    void recordNanos(long nanos) {
        long micros = Math.max(0, nanos / 1_000);
        counts.incrementAndGet(index(micros));
    }

    static int index(long micros) {
        if (micros < SUB) {
            return (int) micros;
        }
        int e = 63 - Long.numberOfLeadingZeros(micros); // ≥ 4
        int sub = (int) (micros >> (e - 4)) - SUB;      // 0..15
        return SUB * (e - 3) + sub;
    }

    /** The largest value that lands in bucket {@code index}. */
    static long upperBound(int index) {
        if (index < SUB) {
            return index;
        }
        int e = index / SUB + 3;
        int sub = index % SUB;
        return ((long) (SUB + sub + 1) << (e - 4)) - 1;
    }

    long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The {@code q}-quantile (0 < q ≤ 1) in milliseconds, as the upper bound of its bucket; 0 when empty. */
    double quantileMillis(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return upperBound(i) / 1000.0;
            }
        }
        return upperBound(counts.length() - 1) / 1000.0;
    }

    double maxMillis() {
        for (int i = counts.length() - 1; i >= 0; i--) {
            if (counts.get(i) > 0) {
                return upperBound(i) / 1000.0;
            }
        }
        return 0;
    }
}
