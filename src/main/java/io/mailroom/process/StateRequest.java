package io.mailroom.process;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One {@link Node#describe}: the reply slot the process answers on its own turn (as
 * {@code sys:get_state} is answered by the process between messages). It completes with the
 * description (empty if the behaviour offers none), or fails with a {@link TimeoutException} when
 * the process does not get to it in time (it is busy in a long handler, or stuck), with
 * {@link ProcessExitException} when it ends first, or with what the description threw.
 */
final class StateRequest extends CompletableFuture<Optional<Map<String, ?>>> implements Receiver {
    /** The timer's message: no answer in time. */
    enum Timeout { INSTANCE }

    /** The process's answer, built on its turn. */
    record Answer(Map<String, ?> description, Throwable failure) {}

    private final Cell<?> target;
    TimerRef timer;

    StateRequest(Cell<?> target) {
        this.target = target;
    }

    @Override
    public void deliver(Object message) {
        switch (message) {
            case Answer(var description, var failure) when failure != null -> completeExceptionally(failure);
            case Answer(var description, var failure) -> complete(Optional.ofNullable(description));
            case Signal.Down down -> completeExceptionally(new ProcessExitException(down.pid(), down.reason()));
            case Timeout t -> completeExceptionally(new TimeoutException(target + " did not describe its state in time"));
            default -> { }
        }
        TimerRef t = timer;
        if (isDone() && t != null) {
            t.cancel();
        }
    }
}
