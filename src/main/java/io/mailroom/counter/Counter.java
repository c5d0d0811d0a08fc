package io.mailroom.counter;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Pid;
import java.util.Map;

/**
 * The seed's Counter: a process whose state is its count. Arithmetic that would overflow a
 * 64-bit integer is refused and leaves the count as it was; only {@link Crash} crashes it.
 */
public final class Counter {

    private Counter() {}

    public sealed interface Msg {}

    /** Add {@code by} (may be zero or negative); the reply is the new value, or an {@link Overflow}. */
    public record Increment(long by, Pid<Reply> replyTo) implements Msg {}

    /** Subtract {@code by}; the reply is the new value, or an {@link Overflow}. */
    public record Decrement(long by, Pid<Reply> replyTo) implements Msg {}

    /** Reply with the current value. */
    public record Get(Pid<Reply> replyTo) implements Msg {}

    /** Crash on purpose, so the supervisor's restart can be watched. */
    public record Crash() implements Msg {}

    public sealed interface Reply {}

    public record Value(long value) implements Reply {}

    public record Overflow(long value) implements Reply {}

    /** Thrown by {@link Crash}: the process dies with it and its supervisor restarts it. */
    public static final class CrashRequested extends RuntimeException {
        public CrashRequested() {
            super("crash requested", null, false, false);
        }
    }

    /** A counter that starts at {@code initial} and hands each start (its pid) to {@code entry}. */
    static Behavior<Msg> starting(CounterCatalog.Entry entry) {
        return Behaviors.setup(ctx -> {
            entry.started(ctx.self());
            return counting(entry.initial(), entry);
        });
    }

    public static Behavior<Msg> counting(long count) {
        return counting(count, null);
    }

    /** Counting from {@code count}; {@code entry}, when known, gives the restarts the state shows. */
    private static Behavior<Msg> counting(long count, CounterCatalog.Entry entry) {
        return Behaviors.<Msg>receive(msg -> switch (msg) {
            case Increment(var by, var replyTo) -> apply(count, by, true, replyTo, entry);
            case Decrement(var by, var replyTo) -> apply(count, by, false, replyTo, entry);
            case Get(var replyTo) -> {
                replyTo.send(new Value(count));
                yield Behaviors.same();
            }
            case Crash() -> throw new CrashRequested();
        }).describedBy(() -> entry == null ? Map.of("value", count)
                : Map.of("value", count, "restarts", entry.restarts()));
    }

    private static Behavior<Msg> apply(long count, long by, boolean up, Pid<Reply> replyTo, CounterCatalog.Entry entry) {
        long next;
        try {
            next = up ? Math.addExact(count, by) : Math.subtractExact(count, by);
        } catch (ArithmeticException overflow) {
            replyTo.send(new Overflow(count));
            return Behaviors.same();
        }
        replyTo.send(new Value(next));
        return counting(next, entry);
    }
}
