package io.mailroom.examples;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Strategy;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorSpec;
import java.util.List;

/**
 * The post's supervised counter: a crash restarts the counter, its count back at 0.
 *
 * <pre>{@code
 * children = [%{id: Counter, start: {Counter, :start_link, []}}]
 * Supervisor.start_link(children, strategy: :one_for_one)
 * }</pre>
 *
 * <p>The counter is registered as {@value #NAME}, so callers find the restarted process by name,
 * as with {@code Process.whereis(Counter)}. With one child the strategy makes no difference; with
 * several, {@link Strategy#ONE_FOR_ALL} restarts every child when one crashes and
 * {@link Strategy#REST_FOR_ONE} the crashed child and the ones started after it.
 */
public final class SupervisedCounter {
    private SupervisedCounter() {}

    /** The name the counter is registered under. */
    public static final String NAME = "counter";

    /** {@code Supervisor.start_link(children, strategy: :one_for_one)} */
    public static Pid<Supervisor.Msg> start(Node node) {
        return start(node, Strategy.ONE_FOR_ONE);
    }

    /** The same supervisor with another strategy. */
    public static Pid<Supervisor.Msg> start(Node node, Strategy strategy) {
        ChildSpec<Counter.Msg> counter = ChildSpec.worker("counter", () -> Counter.loop(0));
        counter = new ChildSpec<>(counter.id(), counter.start(), SpawnOptions.named(NAME),
                counter.restart(), counter.shutdown(), counter.type());
        return Supervisor.start(node, SupervisorSpec.of("counter_sup", strategy, List.of(counter)));
    }
}
