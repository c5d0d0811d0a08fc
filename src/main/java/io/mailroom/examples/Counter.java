package io.mailroom.examples;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;

/**
 * The post's {@code Counter}: the count lives in the behaviour that handles the next message.
 *
 * <pre>{@code
 * defmodule Counter do
 *   def start do
 *     spawn(fn -> loop(0) end)
 *   end
 *   defp loop(count) do
 *     receive do
 *       :increment -> loop(count + 1)
 *       :decrement -> loop(count - 1)
 *       {:get, sender} ->
 *         send(sender, count)
 *         loop(count)
 *     end
 *   end
 * end
 * }</pre>
 */
public final class Counter {
    private Counter() {}

    /** The messages a counter understands: Elixir's atoms and tuples become records. */
    public sealed interface Msg {}

    /** {@code :increment -> loop(count + 1)} */
    public record Increment() implements Msg {}

    /** {@code :decrement -> loop(count - 1)} */
    public record Decrement() implements Msg {}

    /** {@code {:get, sender} -> send(sender, count); loop(count)} */
    public record Get(Pid<Long> sender) implements Msg {}

    /**
     * Not in the post: makes the counter crash, so that {@link SupervisedCounter} has something to
     * restart (in IEx: {@code Process.exit(pid, :kill)}).
     */
    public record Crash() implements Msg {}

    /** {@code def start do spawn(fn -> loop(0) end) end} */
    public static Pid<Msg> start(Node node) {
        return node.spawn(loop(0));
    }

    /** {@code defp loop(count) do receive do ... end end} */
    public static Behavior<Msg> loop(long count) {
        return Behaviors.receive(msg -> switch (msg) {
            case Increment() -> loop(count + 1);
            case Decrement() -> loop(count - 1);
            case Get(var sender) -> {
                sender.send(count);
                yield loop(count);
            }
            case Crash() -> throw new IllegalStateException("counter crashed at " + count);
        });
    }
}
