package io.mailroom.process;

import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;

/**
 * The outcome of a stage given to {@link ProcessContext#pipeToSelf}, waiting in the process's
 * mailbox. It is mapped to the process's own message type only when the process takes it out, on
 * its own turn: the mapper may then read the process's state, and a mapper that throws crashes
 * the process as a handler would.
 */
record Piped<T, M>(T value, Throwable failure, BiFunction<? super T, ? super Throwable, ? extends M> mapper) {

    static <T, M> Piped<T, M> of(T value, Throwable failure, BiFunction<? super T, ? super Throwable, ? extends M> mapper) {
        return new Piped<>(failure == null ? value : null, unwrap(failure), mapper);
    }

    /** The message the process handles in its place. */
    M map() {
        return Objects.requireNonNull(mapper.apply(value, failure), "the pipeToSelf mapper returned null");
    }

    /** What failed, not the {@link CompletionException} a dependent stage wraps it in. */
    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
