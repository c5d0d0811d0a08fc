package io.mailroom.supervision;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;

/** Children for the supervisor tests: they record their start and stop in an {@link Events} log. */
final class TestWorker {

    private TestWorker() {}

    sealed interface Cmd {}

    /** End with {@code reason}, as a child that finishes ({@code normal}) or gives up. */
    record StopWith(ExitReason reason) implements Cmd {}

    /** Throw from the handler: the child crashes. */
    record Throw(String why) implements Cmd {}

    /** Let a stubborn child end now (with {@code shutdown}). */
    record Release() implements Cmd {}

    /** A permanent worker running {@link #recording}. */
    static ChildSpec<Cmd> worker(String id, Events events) {
        return ChildSpec.worker(id, () -> recording(id, events));
    }

    static ChildSpec<Cmd> worker(String id, Events events, Restart restart) {
        return worker(id, events).withRestart(restart);
    }

    /** A worker that records {@code start:id} in its setup and {@code stop:id} when it ends. */
    static Behavior<Cmd> recording(String id, Events events) {
        return Behaviors.setup(ctx -> {
            events.add("start:" + id);
            return Behaviors.<Cmd>receive(msg -> switch (msg) {
                case StopWith(var reason) -> Behaviors.stopped(reason);
                case Throw(var why) -> throw new IllegalStateException(why);
                case Release r -> Behaviors.same();
            }).onSignal((c, signal) -> {
                if (signal instanceof Signal.PostStop) {
                    events.add("stop:" + id);
                }
                return Behaviors.same();
            });
        });
    }

    /**
     * A worker that traps exits and ignores them: it records {@code asked:id} for each exit signal
     * and runs on until it is sent {@link Release} (or killed).
     */
    static Behavior<Cmd> stubborn(String id, Events events) {
        return Behaviors.setup(ctx -> {
            ctx.trapExits(true);
            events.add("start:" + id);
            return Behaviors.<Cmd>receive(msg -> switch (msg) {
                case Release r -> Behaviors.stopped(ExitReason.SHUTDOWN);
                case StopWith(var reason) -> Behaviors.stopped(reason);
                case Throw(var why) -> throw new IllegalStateException(why);
            }).onSignal((c, signal) -> {
                switch (signal) {
                    case Signal.Exit(var from, var reason) -> events.add("asked:" + id + ":" + reason);
                    case Signal.PostStop p -> events.add("stop:" + id);
                    case Signal.Down d -> { }
                }
                return Behaviors.same();
            });
        });
    }

    static ChildSpec<Cmd> stubbornWorker(String id, Events events, Shutdown shutdown) {
        return ChildSpec.worker(id, () -> stubborn(id, events)).withShutdown(shutdown);
    }

    static ChildSpec<Cmd> named(ChildSpec<Cmd> spec, String name) {
        return spec.withOptions(SpawnOptions.named(name));
    }
}
