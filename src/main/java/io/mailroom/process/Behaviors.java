package io.mailroom.process;

import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Factories for {@link Behavior}s. A handler runs on a scheduler thread, one message at a time
 * per process, and must not block: it returns quickly with the next behaviour.
 *
 * <pre>{@code
 * static Behavior<Msg> counting(long count) {
 *     return Behaviors.receive(msg -> switch (msg) {
 *         case Increment(var by) -> counting(count + by);
 *         case Get(var replyTo) -> { replyTo.send(count); yield Behaviors.same(); }
 *     });
 * }
 * }</pre>
 */
public final class Behaviors {

    private static final Behavior.Special<?> SAME = new Behavior.Special<>(Behavior.Special.SAME, null);
    private static final Behavior.Special<?> UNHANDLED = new Behavior.Special<>(Behavior.Special.UNHANDLED, null);
    private static final Behavior.Special<?> STOPPED = new Behavior.Special<>(Behavior.Special.STOPPED, ExitReason.NORMAL);

    private Behaviors() {}

    /** Handles each message with {@code handler}, whose result is the behaviour for the next one. */
    public static <M> Behavior<M> receive(Function<? super M, Behavior<M>> handler) {
        return new Behavior.Receive<>(Objects.requireNonNull(handler, "handler"), null, null, -1, null);
    }

    /** As {@link #receive(Function)}, with the process context at hand. */
    public static <M> Behavior<M> receive(BiFunction<ProcessContext<M>, ? super M, Behavior<M>> handler) {
        return new Behavior.Receive<>(null, Objects.requireNonNull(handler, "handler"), null, -1, null);
    }

    /**
     * A receive behaviour that also handles signals: the same as
     * {@code receive(onMessage).onSignal(onSignal)}, but in one call, so the message type is inferred
     * from where the behaviour goes ({@code return Behaviors.receive(msg -> ..., (ctx, signal) -> ...)})
     * without a type witness. (Java infers nothing for the receiver of a chained call, so the chained
     * form needs {@code Behaviors.<Msg>receive(...)}, or a typed lambda parameter {@code (Msg msg) -> ...}.)
     */
    public static <M> Behavior<M> receive(Function<? super M, Behavior<M>> onMessage,
                                          BiFunction<ProcessContext<M>, Signal, Behavior<M>> onSignal) {
        return new Behavior.Receive<>(Objects.requireNonNull(onMessage, "onMessage"), null,
                Objects.requireNonNull(onSignal, "onSignal"), -1, null);
    }

    /** As {@link #receive(Function, BiFunction)}, with the process context at hand. */
    public static <M> Behavior<M> receive(BiFunction<ProcessContext<M>, ? super M, Behavior<M>> onMessage,
                                          BiFunction<ProcessContext<M>, Signal, Behavior<M>> onSignal) {
        return new Behavior.Receive<>(null, Objects.requireNonNull(onMessage, "onMessage"),
                Objects.requireNonNull(onSignal, "onSignal"), -1, null);
    }

    /**
     * Runs {@code factory} as the new process's first turn, before spawn returns, to get its
     * behaviour: the place to link, monitor, trap exits or start timers, with {@code self()} known.
     * So a parent that spawns children one after another has them initialised in that order.
     */
    public static <M> Behavior<M> setup(Function<ProcessContext<M>, Behavior<M>> factory) {
        return new Behavior.Setup<>(Objects.requireNonNull(factory, "factory"));
    }

    /** Keep the current behaviour (and its state). */
    @SuppressWarnings("unchecked")
    public static <M> Behavior<M> same() {
        return (Behavior<M>) SAME;
    }

    /**
     * Selective receive: leave this message in the mailbox. It is offered again, in arrival order
     * and ahead of newer messages, as soon as the process changes behaviour. Until then each new
     * message is offered first. Cost: a deferred message is kept in a per-process queue and offered
     * once per behaviour change, so a process that defers k messages pays O(k) per change.
     */
    @SuppressWarnings("unchecked")
    public static <M> Behavior<M> unhandled() {
        return (Behavior<M>) UNHANDLED;
    }

    /** Stop the process normally: links are not hurt, monitors get {@code normal}. */
    @SuppressWarnings("unchecked")
    public static <M> Behavior<M> stopped() {
        return (Behavior<M>) STOPPED;
    }

    /** Stop the process with {@code reason}; an abnormal reason propagates over links. */
    public static <M> Behavior<M> stopped(ExitReason reason) {
        return new Behavior.Special<>(Behavior.Special.STOPPED, Objects.requireNonNull(reason, "reason"));
    }

    /** A behaviour that ignores every message: a process that only waits (for signals, or to be stopped). */
    public static <M> Behavior<M> ignore() {
        return receive(message -> same());
    }
}
