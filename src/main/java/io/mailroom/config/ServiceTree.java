package io.mailroom.config;

import io.mailroom.names.SupervisorNames;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Strategy;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorListener;
import io.mailroom.supervision.SupervisorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The service's supervision tree, started with the context and stopped (children in reverse
 * order, each waited for) when it closes:
 * <pre>
 * root (one_for_one)
 * ├── rooms      dynamic → room:&lt;name&gt;     (transient)
 * ├── sessions   dynamic → session:&lt;user&gt;  (temporary)
 * └── counters   dynamic → counter:&lt;name&gt;  (permanent)
 * </pre>
 * The root's children are contributed by the features, as {@link SupervisorSpec} beans started in
 * their {@link org.springframework.core.annotation.Order @Order} (the chat's {@code rooms} and
 * {@code sessions}, then the {@code counters}): the tree knows no feature, so no feature's
 * package and this one depend on each other both ways. Supervisors are found by their registered
 * names ({@link SupervisorNames}), so callers always reach the current incarnation after a restart.
 */
@Component
public class ServiceTree implements SmartLifecycle {
    /** Aliases of {@link SupervisorNames}, which is where code outside the wiring should read them. */
    public static final String ROOT = SupervisorNames.ROOT;
    public static final String ROOMS = SupervisorNames.ROOMS;
    public static final String SESSIONS = SupervisorNames.SESSIONS;
    public static final String COUNTERS = SupervisorNames.COUNTERS;

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTree.class);

    private final Node node;
    private final SupervisionProperties supervision;
    private final SchedulerProperties scheduler;
    private final ObjectProvider<SupervisorSpec> branches;
    private final SupervisorListener listener;
    private final RootGiveUp giveUp;
    private volatile Pid<Supervisor.Msg> root;
    /** Set before the context stops the tree: the root's end is then asked for, not a give-up. */
    private volatile boolean stopping;

    /** @param branches the root's children, contributed by the features; started in their {@code @Order} */
    public ServiceTree(Node node, SupervisionProperties supervision, SchedulerProperties scheduler,
                       ObjectProvider<SupervisorSpec> branches,
                       ObjectProvider<SupervisorListener> listener, RootGiveUp giveUp) {
        this.node = node;
        this.supervision = supervision;
        this.scheduler = scheduler;
        this.branches = branches;
        this.listener = listener.getIfAvailable(() -> SupervisorListener.NONE);
        this.giveUp = giveUp;
    }

    /** The root supervisor's spec: what Spring starts, and what a test can start on its own node. */
    SupervisorSpec rootSpec() {
        List<ChildSpec<?>> children = new ArrayList<>();
        branches.orderedStream().forEach(branch ->
                children.add(ChildSpec.supervisor(branch.name(), branch.withListener(listener))));
        return SupervisorSpec.of(ROOT, Strategy.ONE_FOR_ONE, children)
                .withIntensity(supervision.root().toIntensity()).withListener(listener);
    }

    /** The supervisor registered as {@code name}, if it is running now. */
    public Optional<Pid<Supervisor.Msg>> supervisor(String name) {
        return node.whereis(name);
    }

    @Override
    public void start() {
        stopping = false;
        Pid<Supervisor.Msg> r = Supervisor.start(node, rootSpec());
        root = r;
        node.whenExited(r).thenAccept(reason -> rootEnded(r, reason));
        LOG.info("supervision tree started: root {}", r);
    }

    /** Nothing above the root restarts it: unless the context is stopping, the node must go (or say it is DOWN). */
    private void rootEnded(Pid<Supervisor.Msg> r, ExitReason reason) {
        if (stopping || node.isShutdown() || root != r) {
            return;
        }
        root = null;
        giveUp.rootEnded(reason);
    }

    @Override
    public void stop() {
        stopping = true;
        Pid<Supervisor.Msg> r = node.<Supervisor.Msg>whereis(ROOT).orElse(root);
        if (r == null || node.isShutdown()) {
            root = null;
            return;
        }
        try {
            Supervisor.stop(node, r).get(scheduler.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("supervision tree did not stop within {}", scheduler.shutdownTimeout());
        } catch (ExecutionException e) {
            LOG.warn("stopping the supervision tree failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            root = null;
        }
    }

    @Override
    public boolean isRunning() {
        return root != null;
    }

    /** Stops before the web server (so sessions can say goodbye), after everything that uses it. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 512;
    }
}
