package io.mailroom.counter;

/**
 * Why a counter operation was refused or failed, in the counters' own terms: the service knows
 * nothing of HTTP; the web layer maps each {@link Kind} to a status (protocol.md §3).
 */
public final class CounterException extends RuntimeException {

    /** What went wrong. */
    public enum Kind {
        /** The name breaks the contract's rule. */
        INVALID_NAME,
        /** No counter has that name. */
        NOT_FOUND,
        /** A counter with that name exists already. */
        ALREADY_EXISTS,
        /** The arithmetic would overflow a 64-bit integer; the value is unchanged. */
        OVERFLOW,
        /** The counter (or its supervisor) did not answer within the call timeout. */
        UNAVAILABLE
    }

    private final Kind kind;

    public CounterException(Kind kind, String detail) {
        super(detail, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static CounterException notFound(String name) {
        return new CounterException(Kind.NOT_FOUND, "no counter named " + name);
    }

    static CounterException unavailable(String detail) {
        return new CounterException(Kind.UNAVAILABLE, detail);
    }
}
