package io.mailroom.supervision;

import static io.mailroom.testing.Waits.eventually;

import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/** Helpers to look at a running supervision tree from test code. */
final class Trees {

    /** How long a call to a supervisor may take before the test gives up on it. */
    static final Duration CALL = Duration.ofSeconds(10);

    private Trees() {}

    static <T> T join(CompletableFuture<T> future) {
        return future.orTimeout(CALL.toSeconds() * 2, java.util.concurrent.TimeUnit.SECONDS).join();
    }

    static List<ChildInfo> children(Node node, Pid<Supervisor.Msg> sup) {
        return join(Supervisor.whichChildren(node, sup, CALL));
    }

    /** Child id to pid (null when not running), in start order. */
    static Map<String, Pid<?>> pids(Node node, Pid<Supervisor.Msg> sup) {
        Map<String, Pid<?>> out = new LinkedHashMap<>();
        for (ChildInfo c : children(node, sup)) {
            out.put(c.id(), c.pid());
        }
        return out;
    }

    static List<String> ids(Node node, Pid<Supervisor.Msg> sup) {
        return new ArrayList<>(pids(node, sup).keySet());
    }

    static ChildInfo child(Node node, Pid<Supervisor.Msg> sup, String id) {
        for (ChildInfo c : children(node, sup)) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        return null;
    }

    /** The running process of child {@code id}. */
    static <M> Pid<M> pid(Node node, Pid<Supervisor.Msg> sup, String id) {
        ChildInfo c = Objects.requireNonNull(child(node, sup, id), () -> "no child " + id);
        return Objects.requireNonNull(c.pid(), () -> "child " + id + " is not running").narrow();
    }

    /** Waits until child {@code id} runs in a process other than {@code old}, and returns it. */
    static <M> Pid<M> awaitReplaced(Node node, Pid<Supervisor.Msg> sup, String id, Pid<?> old) {
        AtomicReference<Pid<?>> now = new AtomicReference<>();
        eventually().until(() -> {
            ChildInfo c = child(node, sup, id);
            now.set(c == null ? null : c.pid());
            return now.get() != null && !now.get().equals(old);
        });
        return now.get().narrow();
    }

    /** Waits until child {@code id} is known but not running. */
    static void awaitNotRunning(Node node, Pid<Supervisor.Msg> sup, String id) {
        eventually().until(() -> {
            ChildInfo c = child(node, sup, id);
            return c != null && c.pid() == null;
        });
    }

    /** Waits until the supervisor no longer knows child {@code id}. */
    static void awaitForgotten(Node node, Pid<Supervisor.Msg> sup, String id) {
        eventually().until(() -> child(node, sup, id) == null);
    }

    static SupervisorReport report(Node node, Pid<Supervisor.Msg> sup) {
        return join(Supervisor.report(node, sup, Integer.MAX_VALUE, CALL));
    }

    /** Crashes a child from outside, as {@code exit(Pid, Reason)} with an abnormal reason. */
    static void crash(Node node, Pid<?> pid, String why) {
        node.exit(pid, ExitReason.of(why));
    }

    static void send(Pid<?> pid, TestWorker.Cmd cmd) {
        pid.<TestWorker.Cmd>narrow().send(cmd);
    }

    /** A supervisor started and monitored at once, so its exit reason is never lost to a race. */
    record Watched(Pid<Supervisor.Msg> pid, CompletableFuture<ExitReason> exit) {}

    /**
     * Starts a supervisor from a small process that monitors it as it spawns it: for supervisors
     * that may end before the test thread could call {@link Node#whenExited}.
     */
    static Watched startWatched(Node node, SupervisorSpec spec) {
        CompletableFuture<Pid<Supervisor.Msg>> started = new CompletableFuture<>();
        CompletableFuture<ExitReason> exit = new CompletableFuture<>();
        node.spawn(Behaviors.<Object>setup(ctx -> {
            ProcessContext.Spawned<Supervisor.Msg> s = ctx.spawnMonitor(Supervisor.behavior(spec),
                    SpawnOptions.ofType("supervisor").withName(spec.name()));
            started.complete(s.pid());
            return Behaviors.receive(msg -> Behaviors.same()).onSignal((c, signal) -> {
                if (signal instanceof Signal.Down d && d.ref().equals(s.ref())) {
                    exit.complete(d.reason());
                    return Behaviors.stopped();
                }
                return Behaviors.same();
            });
        }));
        return new Watched(join(started), exit);
    }
}
