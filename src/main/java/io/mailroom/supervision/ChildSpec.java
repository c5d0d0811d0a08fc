package io.mailroom.supervision;

import io.mailroom.process.Behavior;
import io.mailroom.process.SpawnOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a supervisor starts, restarts and stops one child (OTP's child specification).
 *
 * @param id        unique among the supervisor's static children; for dynamic children, a label
 * @param start     makes the child's initial behaviour; called again on every restart, so a
 *                  restarted child starts from fresh state
 * @param options   spawn options: the registered name and type label of the child
 * @param restart   when the child is restarted
 * @param shutdown  how the child is stopped
 * @param type      worker or supervisor
 */
public record ChildSpec<M>(String id, Supplier<Behavior<M>> start, SpawnOptions options, Restart restart,
                           Shutdown shutdown, ChildType type) {

    /** OTP's default shutdown for workers. */
    public static final Shutdown WORKER_SHUTDOWN = Shutdown.timeout(Duration.ofSeconds(5));

    public ChildSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(type, "type");
    }

    /** A permanent worker stopped with a 5 second timeout. */
    public static <M> ChildSpec<M> worker(String id, Supplier<Behavior<M>> start) {
        return new ChildSpec<>(id, start, SpawnOptions.DEFAULT, Restart.PERMANENT, WORKER_SHUTDOWN, ChildType.WORKER);
    }

    /** A permanent child supervisor, stopped with {@code infinity} (its own children's timeouts bound it). */
    public static ChildSpec<Supervisor.Msg> supervisor(String id, SupervisorSpec spec) {
        return new ChildSpec<>(id, () -> Supervisor.behavior(spec),
                SpawnOptions.ofType("supervisor").withName(spec.name()),
                Restart.PERMANENT, Shutdown.INFINITY, ChildType.SUPERVISOR);
    }

    public ChildSpec<M> withRestart(Restart restart) {
        return new ChildSpec<>(id, start, options, restart, shutdown, type);
    }

    public ChildSpec<M> withShutdown(Shutdown shutdown) {
        return new ChildSpec<>(id, start, options, restart, shutdown, type);
    }

    public ChildSpec<M> withOptions(SpawnOptions options) {
        return new ChildSpec<>(id, start, options, restart, shutdown, type);
    }
}
