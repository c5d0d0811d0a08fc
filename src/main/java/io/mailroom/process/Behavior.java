package io.mailroom.process;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a process does with its next message, and so the process's state: a handler returns the
 * behaviour for the message after (as Erlang's {@code loop(State)} calls itself with the next
 * state). Build behaviours with {@link Behaviors}; they are immutable values and may be shared
 * by any number of processes.
 *
 * @param <M> the type of message the process accepts
 */
public abstract sealed class Behavior<M> permits Behavior.Receive, Behavior.Setup, Behavior.Special {

    Behavior() {}

    /**
     * This behaviour, also handling system signals ({@link Signal.Exit} when trapping exits,
     * {@link Signal.Down} from monitors, {@link Signal.PostStop} at the end). Without a signal
     * handler, exits and downs are consumed and ignored.
     *
     * @throws IllegalStateException on {@code same()}, {@code stopped()} and the like, which are answers, not behaviours
     */
    public Behavior<M> onSignal(BiFunction<ProcessContext<M>, Signal, Behavior<M>> handler) {
        throw new IllegalStateException("onSignal applies to a receive behaviour, not " + this);
    }

    /**
     * This behaviour with Erlang's {@code after}: if no message is handled for {@code timeout}
     * while the process waits in this behaviour, {@code onTimeout} gives the next behaviour.
     * The timer restarts every time a message is handled.
     */
    public Behavior<M> receiveTimeout(Duration timeout, Function<ProcessContext<M>, Behavior<M>> onTimeout) {
        throw new IllegalStateException("receiveTimeout applies to a receive behaviour, not " + this);
    }

    /**
     * This behaviour, describing its state when asked ({@link Node#describe}, Erlang's
     * {@code sys:get_state}): {@code description} runs on the process's own turn, between two
     * messages, so it may read the state the handlers keep without locks. It should be cheap and
     * return a small snapshot of plain values (strings, numbers, lists and maps of them) that
     * stays valid after the turn, for it is read on another thread. Never called on the message
     * path: a behaviour that is never asked pays nothing. A throw is answered as an error; the
     * process goes on.
     *
     * @throws IllegalStateException on {@code same()}, {@code stopped()} and the like, which are answers, not behaviours
     */
    public Behavior<M> describedBy(Supplier<? extends Map<String, ?>> description) {
        throw new IllegalStateException("describedBy applies to a receive behaviour, not " + this);
    }

    /** A behaviour that handles messages, and optionally signals and a receive timeout. */
    static final class Receive<M> extends Behavior<M> {
        final Function<? super M, Behavior<M>> onMessage;
        final BiFunction<ProcessContext<M>, ? super M, Behavior<M>> onMessageWithContext;
        final BiFunction<ProcessContext<M>, Signal, Behavior<M>> onSignal;
        final long timeoutNanos;
        final Function<ProcessContext<M>, Behavior<M>> onTimeout;
        /** What {@link #describedBy} gave, or null: the process does not describe its state. */
        final Supplier<? extends Map<String, ?>> description;

        Receive(Function<? super M, Behavior<M>> onMessage,
                BiFunction<ProcessContext<M>, ? super M, Behavior<M>> onMessageWithContext,
                BiFunction<ProcessContext<M>, Signal, Behavior<M>> onSignal,
                long timeoutNanos,
                Function<ProcessContext<M>, Behavior<M>> onTimeout) {
            this(onMessage, onMessageWithContext, onSignal, timeoutNanos, onTimeout, null);
        }

        private Receive(Function<? super M, Behavior<M>> onMessage,
                        BiFunction<ProcessContext<M>, ? super M, Behavior<M>> onMessageWithContext,
                        BiFunction<ProcessContext<M>, Signal, Behavior<M>> onSignal,
                        long timeoutNanos,
                        Function<ProcessContext<M>, Behavior<M>> onTimeout,
                        Supplier<? extends Map<String, ?>> description) {
            this.onMessage = onMessage;
            this.onMessageWithContext = onMessageWithContext;
            this.onSignal = onSignal;
            this.timeoutNanos = timeoutNanos;
            this.onTimeout = onTimeout;
            this.description = description;
        }

        Behavior<M> receive(ProcessContext<M> context, M message) {
            return onMessage != null ? onMessage.apply(message) : onMessageWithContext.apply(context, message);
        }

        boolean hasTimeout() {
            return onTimeout != null;
        }

        @Override
        public Behavior<M> onSignal(BiFunction<ProcessContext<M>, Signal, Behavior<M>> handler) {
            return new Receive<>(onMessage, onMessageWithContext, Objects.requireNonNull(handler, "handler"),
                    timeoutNanos, onTimeout, description);
        }

        @Override
        public Behavior<M> receiveTimeout(Duration timeout, Function<ProcessContext<M>, Behavior<M>> onTimeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative: " + timeout);
            }
            return new Receive<>(onMessage, onMessageWithContext, onSignal, timeout.toNanos(),
                    Objects.requireNonNull(onTimeout, "onTimeout"), description);
        }

        @Override
        public Behavior<M> describedBy(Supplier<? extends Map<String, ?>> description) {
            return new Receive<>(onMessage, onMessageWithContext, onSignal, timeoutNanos, onTimeout,
                    Objects.requireNonNull(description, "description"));
        }

        @Override
        public String toString() {
            return "receive";
        }
    }

    /** A behaviour computed from the process context when the process starts. */
    static final class Setup<M> extends Behavior<M> {
        final Function<ProcessContext<M>, Behavior<M>> factory;

        Setup(Function<ProcessContext<M>, Behavior<M>> factory) {
            this.factory = factory;
        }

        @Override
        public String toString() {
            return "setup";
        }
    }

    /** The answers {@code same}, {@code unhandled} and {@code stopped(reason)}. */
    static final class Special<M> extends Behavior<M> {
        static final int SAME = 0;
        static final int UNHANDLED = 1;
        static final int STOPPED = 2;

        final int kind;
        final ExitReason reason;

        Special(int kind, ExitReason reason) {
            this.kind = kind;
            this.reason = reason;
        }

        @Override
        public String toString() {
            return switch (kind) {
                case SAME -> "same";
                case UNHANDLED -> "unhandled";
                default -> "stopped(" + reason + ")";
            };
        }
    }
}
