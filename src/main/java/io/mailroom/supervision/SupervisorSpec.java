package io.mailroom.supervision;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A supervisor: its strategy, restart intensity and children.
 *
 * @param name         registered name of the supervisor process (may be null)
 * @param strategy     which children to restart
 * @param intensity    how many restarts before giving up
 * @param children     the children to start, in order, each time the supervisor starts (a
 *                     supplier, so a restarted supervisor can start from a current list)
 * @param dynamic      whether children added with {@link Supervisor#startChild} are forgotten when
 *                     they end for good (Elixir's DynamicSupervisor); dynamic supervisors are one_for_one
 * @param maxChildren  the most children at once, or 0 for no limit
 * @param listener     told of restarts
 */
public record SupervisorSpec(String name, Strategy strategy, Intensity intensity,
                             Supplier<List<ChildSpec<?>>> children, boolean dynamic, int maxChildren,
                             SupervisorListener listener) {

    public SupervisorSpec {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(intensity, "intensity");
        Objects.requireNonNull(children, "children");
        Objects.requireNonNull(listener, "listener");
        if (dynamic && strategy != Strategy.ONE_FOR_ONE) {
            throw new IllegalArgumentException("a dynamic supervisor is one_for_one");
        }
        if (maxChildren < 0) {
            throw new IllegalArgumentException("maxChildren must be >= 0, was " + maxChildren);
        }
    }

    /** A static supervisor of {@code children}, with the default intensity. */
    public static SupervisorSpec of(String name, Strategy strategy, List<ChildSpec<?>> children) {
        List<ChildSpec<?>> copy = List.copyOf(children);
        return new SupervisorSpec(name, strategy, Intensity.DEFAULT, () -> copy, false, 0, SupervisorListener.NONE);
    }

    /** An empty dynamic supervisor (Elixir's DynamicSupervisor), with the default intensity. */
    public static SupervisorSpec dynamic(String name) {
        return new SupervisorSpec(name, Strategy.ONE_FOR_ONE, Intensity.DEFAULT, List::of, true, 0,
                SupervisorListener.NONE);
    }

    public SupervisorSpec withIntensity(Intensity intensity) {
        return new SupervisorSpec(name, strategy, intensity, children, dynamic, maxChildren, listener);
    }

    public SupervisorSpec withMaxChildren(int maxChildren) {
        return new SupervisorSpec(name, strategy, intensity, children, dynamic, maxChildren, listener);
    }

    public SupervisorSpec withListener(SupervisorListener listener) {
        return new SupervisorSpec(name, strategy, intensity, children, dynamic, maxChildren, listener);
    }

    /** Children started when the supervisor starts (also for a dynamic one: children that must survive its restart). */
    public SupervisorSpec withChildren(Supplier<List<ChildSpec<?>>> children) {
        return new SupervisorSpec(name, strategy, intensity, children, dynamic, maxChildren, listener);
    }
}
