package io.mailroom.supervision;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.NameTakenException;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import io.mailroom.process.TimerRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A supervisor process with OTP's semantics: it traps exits, starts its children linked and in
 * order, restarts them by its {@link Strategy} and their {@link Restart} type, stops them in
 * reverse order, and gives up (stopping every child, then exiting with {@code shutdown}) when
 * restarts exceed its {@link Intensity}, so the failure escalates to its own supervisor.
 *
 * <p>Stopping a child follows OTP's {@code shutdown}: the supervisor unlinks and monitors it, sends
 * {@code shutdown} (or {@code kill} for brutal kill), and waits for it to end, killing it when a
 * timeout runs out. While it waits it handles nothing else: other requests stay in its mailbox
 * (selective receive) and are served afterwards, in order.
 *
 * <p>Talk to a supervisor from outside the runtime with the static methods here; they are
 * {@link Node#call}s and never block the caller.
 */
public final class Supervisor {

    private Supervisor() {}

    /** What a supervisor process accepts. */
    public sealed interface Msg {}

    /** Start a child (OTP's {@code start_child}). */
    public record StartChild(ChildSpec<?> spec, Pid<StartResult> replyTo) implements Msg {}

    /** Stop a child; answers false if it is not a running child (OTP's {@code terminate_child}). */
    public record TerminateChild(Pid<?> child, Pid<Boolean> replyTo) implements Msg {}

    /** List the children (OTP's {@code which_children}). */
    public record WhichChildren(Pid<List<ChildInfo>> replyTo) implements Msg {}

    /** Count the children (OTP's {@code count_children}). */
    public record CountChildren(Pid<ChildCounts> replyTo) implements Msg {}

    /** Report statistics and at most {@code childLimit} children. */
    public record Report(int childLimit, Pid<SupervisorReport> replyTo) implements Msg {}

    private record KillTimeout(MonitorRef ref) implements Msg {}

    private record RetryStart(Child child, ExitReason reason) implements Msg {}

    // ---------------------------------------------------------------- starting

    /** The behaviour of a supervisor; spawn it with {@link #start} or as a {@link ChildSpec#supervisor} child. */
    public static Behavior<Msg> behavior(SupervisorSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return Behaviors.setup(ctx -> {
            ctx.trapExits(true);
            State state = new State(spec, ctx);
            for (ChildSpec<?> childSpec : spec.children().get()) {
                Child child = new Child(childSpec);
                if (!state.addStatic(child)) {
                    throw new IllegalArgumentException("duplicate child id: " + childSpec.id());
                }
                try {
                    state.spawn(child);
                } catch (RuntimeException e) {
                    // OTP: a supervisor whose initial child fails to start stops the ones started and fails
                    ExitReason reason = ExitReason.shutdown("failed_to_start_child " + childSpec.id() + ": " + e);
                    return state.stopChildren(state.runningReversed(), () -> Behaviors.stopped(reason));
                }
            }
            return state.running();
        });
    }

    /** Spawns a supervisor, registered under {@code spec.name()} when it has one. */
    public static Pid<Msg> start(Node node, SupervisorSpec spec) {
        return node.spawn(behavior(spec), options(spec));
    }

    static SpawnOptions options(SupervisorSpec spec) {
        return SpawnOptions.ofType("supervisor").withName(spec.name());
    }

    // ---------------------------------------------------------------- calls from outside

    public static CompletableFuture<StartResult> startChild(Node node, Pid<Msg> supervisor, ChildSpec<?> spec,
                                                            Duration timeout) {
        return node.call(supervisor, reply -> new StartChild(spec, reply), timeout);
    }

    public static CompletableFuture<Boolean> terminateChild(Node node, Pid<Msg> supervisor, Pid<?> child,
                                                            Duration timeout) {
        return node.call(supervisor, reply -> new TerminateChild(child, reply), timeout);
    }

    public static CompletableFuture<List<ChildInfo>> whichChildren(Node node, Pid<Msg> supervisor, Duration timeout) {
        return node.call(supervisor, WhichChildren::new, timeout);
    }

    public static CompletableFuture<ChildCounts> countChildren(Node node, Pid<Msg> supervisor, Duration timeout) {
        return node.call(supervisor, CountChildren::new, timeout);
    }

    public static CompletableFuture<SupervisorReport> report(Node node, Pid<Msg> supervisor, int childLimit,
                                                             Duration timeout) {
        return node.call(supervisor, reply -> new Report(childLimit, reply), timeout);
    }

    /**
     * Stops a supervisor and its subtree as its own supervisor would ({@code shutdown}, children in
     * reverse order); completes when it has ended.
     */
    public static CompletableFuture<ExitReason> stop(Node node, Pid<Msg> supervisor) {
        CompletableFuture<ExitReason> exited = node.whenExited(supervisor);
        node.exit(supervisor, ExitReason.SHUTDOWN);
        return exited;
    }

    // ---------------------------------------------------------------- the process

    /** One child: its spec, its current pid, and its restart statistics. */
    private static final class Child {
        final ChildSpec<?> spec;
        Pid<?> pid;
        long restarts;
        Instant lastRestartAt;
        String lastRestartReason;

        Child(ChildSpec<?> spec) {
            this.spec = spec;
        }

        ChildInfo info() {
            return new ChildInfo(spec.id(), pid, spec.options().name(), spec.type(), spec.restart(), restarts,
                    lastRestartAt, lastRestartReason);
        }
    }

    /** The supervisor's state; touched only on the supervisor's own turns. */
    private static final class State {
        final SupervisorSpec spec;
        final ProcessContext<Msg> ctx;
        final String name;
        final LinkedHashSet<Child> children = new LinkedHashSet<>();
        final Map<String, Child> byId = new HashMap<>();
        final Map<Pid<?>, Child> byPid = new HashMap<>();
        final ArrayDeque<Long> restartTimes = new ArrayDeque<>();
        long restarts;
        Instant lastRestartAt;
        String lastRestartReason;

        State(SupervisorSpec spec, ProcessContext<Msg> ctx) {
            this.spec = spec;
            this.ctx = ctx;
            this.name = spec.name() != null ? spec.name() : ctx.self().toString();
        }

        boolean addStatic(Child child) {
            if (!spec.dynamic() && byId.putIfAbsent(child.spec.id(), child) != null) {
                return false;
            }
            children.add(child);
            return true;
        }

        void remove(Child child) {
            children.remove(child);
            if (byId.get(child.spec.id()) == child) {
                byId.remove(child.spec.id());
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        void spawn(Child child) {
            ChildSpec spec = child.spec;
            Pid<?> pid = ctx.spawnLink((Behavior) spec.start().get(), spec.options());
            child.pid = pid;
            byPid.put(pid, child);
        }

        Deque<Child> runningReversed() {
            ArrayDeque<Child> out = new ArrayDeque<>();
            for (Child c : children.reversed()) {
                if (c.pid != null) {
                    out.addLast(c);
                }
            }
            return out;
        }

        // ---- the main loop

        Behavior<Msg> running() {
            return Behaviors.<Msg>receive(this::onMessage).onSignal(this::onSignal);
        }

        private Behavior<Msg> onMessage(ProcessContext<Msg> ctx, Msg msg) {
            return switch (msg) {
                case StartChild(var childSpec, var replyTo) -> {
                    replyTo.send(startChild(childSpec));
                    yield Behaviors.same();
                }
                case TerminateChild(var pid, var replyTo) -> {
                    Child child = byPid.get(pid);
                    if (child == null) {
                        replyTo.send(false);
                        yield Behaviors.same();
                    }
                    ArrayDeque<Child> one = new ArrayDeque<>(List.of(child));
                    yield stopChildren(one, () -> {
                        if (spec.dynamic() || child.spec.restart() == Restart.TEMPORARY) {
                            remove(child);
                        }
                        replyTo.send(true);
                        return running();
                    });
                }
                case WhichChildren(var replyTo) -> {
                    List<ChildInfo> list = new ArrayList<>(children.size());
                    for (Child c : children) {
                        list.add(c.info());
                    }
                    replyTo.send(list);
                    yield Behaviors.same();
                }
                case CountChildren(var replyTo) -> {
                    int active = 0;
                    int sups = 0;
                    for (Child c : children) {
                        if (c.pid != null) {
                            active++;
                            if (c.spec.type() == ChildType.SUPERVISOR) {
                                sups++;
                            }
                        }
                    }
                    replyTo.send(new ChildCounts(children.size(), active, sups, active - sups));
                    yield Behaviors.same();
                }
                case Report(var limit, var replyTo) -> {
                    replyTo.send(report(limit));
                    yield Behaviors.same();
                }
                case RetryStart(var child, var reason) -> restart(child, reason);
                case KillTimeout k -> Behaviors.same(); // stale: that child ended in time
            };
        }

        private StartResult startChild(ChildSpec<?> childSpec) {
            if (spec.maxChildren() > 0 && children.size() >= spec.maxChildren()) {
                return new StartResult.Refused("max_children");
            }
            Child child = new Child(childSpec);
            if (!addStatic(child)) {
                Child existing = byId.get(childSpec.id());
                return existing.pid != null ? new StartResult.AlreadyStarted(existing.pid)
                        : new StartResult.Refused("already_present");
            }
            try {
                spawn(child);
                return new StartResult.Started(child.pid);
            } catch (NameTakenException e) {
                remove(child);
                return e.holder() != null ? new StartResult.AlreadyStarted(e.holder())
                        : new StartResult.Refused("name_taken");
            } catch (RuntimeException e) {
                remove(child);
                return new StartResult.Refused(String.valueOf(e));
            }
        }

        private Behavior<Msg> onSignal(ProcessContext<Msg> ctx, Signal signal) {
            if (!(signal instanceof Signal.Exit(var from, var reason))) {
                return Behaviors.same(); // stale downs from stops that already finished
            }
            Child child = from == null ? null : byPid.get(from);
            if (child == null) {
                Pid<?> parent = ctx.parent().orElse(null);
                if (from == null || from.equals(parent)) {
                    // our own supervisor (or the node) tells us to stop: children first, in reverse order
                    return stopChildren(runningReversed(), () -> Behaviors.stopped(reason));
                }
                return Behaviors.same(); // an exit from a process that is not our child: nothing to do
            }
            byPid.remove(from);
            child.pid = null;
            if (!shouldRestart(child.spec.restart(), reason)) {
                if (spec.dynamic() || child.spec.restart() == Restart.TEMPORARY) {
                    remove(child);
                }
                return Behaviors.same();
            }
            return restart(child, reason);
        }

        private static boolean shouldRestart(Restart restart, ExitReason reason) {
            return switch (restart) {
                case PERMANENT -> true;
                case TEMPORARY -> false;
                case TRANSIENT -> !(reason instanceof ExitReason.Normal) && !(reason instanceof ExitReason.Shutdown);
            };
        }

        // ---- restarting

        /** Counts a restart against the intensity; false if that exceeds it. */
        private boolean countRestart(Child child, ExitReason reason) {
            long now = System.nanoTime();
            restartTimes.addLast(now);
            long window = spec.intensity().within().toNanos();
            while (!restartTimes.isEmpty() && now - restartTimes.peekFirst() > window) {
                restartTimes.pollFirst();
            }
            if (restartTimes.size() > spec.intensity().maxRestarts()) {
                return false;
            }
            restarts++;
            lastRestartAt = Instant.now();
            lastRestartReason = String.valueOf(reason);
            spec.listener().restarting(name, child.spec.id(), reason);
            return true;
        }

        private Behavior<Msg> restart(Child child, ExitReason reason) {
            if (!countRestart(child, reason)) {
                ctx.log().error("supervisor {} reached its restart intensity ({} in {}): shutting down",
                        name, spec.intensity().maxRestarts(), spec.intensity().within());
                spec.listener().intensityExceeded(name);
                return stopChildren(runningReversed(), () -> Behaviors.stopped(ExitReason.SHUTDOWN));
            }
            return switch (spec.strategy()) {
                case ONE_FOR_ONE -> {
                    startAgain(List.of(child), reason);
                    yield running();
                }
                case ONE_FOR_ALL -> restartGroup(new ArrayList<>(children), reason);
                case REST_FOR_ONE -> {
                    List<Child> group = new ArrayList<>();
                    boolean found = false;
                    for (Child c : children) {
                        found |= c == child;
                        if (found) {
                            group.add(c);
                        }
                    }
                    yield restartGroup(group, reason);
                }
            };
        }

        /** Stops the running members of {@code group} in reverse order, then starts the group in order. */
        private Behavior<Msg> restartGroup(List<Child> group, ExitReason reason) {
            ArrayDeque<Child> toStop = new ArrayDeque<>();
            for (int i = group.size() - 1; i >= 0; i--) {
                if (group.get(i).pid != null) {
                    toStop.addLast(group.get(i));
                }
            }
            return stopChildren(toStop, () -> {
                List<Child> toStart = new ArrayList<>();
                for (Child c : group) {
                    if (c.spec.restart() == Restart.TEMPORARY) {
                        remove(c);
                    } else {
                        toStart.add(c);
                    }
                }
                startAgain(toStart, reason);
                return running();
            });
        }

        /**
         * Starts children in order; one that fails to start is retried as another restart (OTP).
         * Each of them counts as restarted, also the siblings restarted with the child that ended.
         */
        private void startAgain(List<Child> group, ExitReason reason) {
            for (Child c : group) {
                c.restarts++;
                c.lastRestartAt = lastRestartAt;
                c.lastRestartReason = lastRestartReason;
                try {
                    spawn(c);
                } catch (RuntimeException e) {
                    ctx.log().warn("supervisor {} could not restart {}: {}", name, c.spec.id(), e.toString());
                    ctx.self().send(new RetryStart(c, ExitReason.crash(e)));
                }
            }
        }

        // ---- stopping

        /**
         * Stops each child of {@code queue} in turn, waiting for it to end, then continues with
         * {@code then}. Everything else waits in the mailbox meanwhile.
         */
        Behavior<Msg> stopChildren(Deque<Child> queue, Supplier<Behavior<Msg>> then) {
            while (!queue.isEmpty()) {
                Child child = queue.pollFirst();
                Pid<?> pid = child.pid;
                if (pid == null) {
                    continue;
                }
                MonitorRef ref = ctx.monitor(pid);
                ctx.unlink(pid);
                TimerRef timer = null;
                switch (child.spec.shutdown()) {
                    case Shutdown.BrutalKill b -> ctx.exit(pid, ExitReason.KILL);
                    case Shutdown.Infinity i -> ctx.exit(pid, ExitReason.SHUTDOWN);
                    case Shutdown.Timeout(var timeout) -> {
                        ctx.exit(pid, ExitReason.SHUTDOWN);
                        timer = ctx.sendAfter(new KillTimeout(ref), timeout);
                    }
                }
                return awaitDown(child, pid, ref, timer, queue, then);
            }
            return then.get();
        }

        private Behavior<Msg> awaitDown(Child child, Pid<?> pid, MonitorRef ref, TimerRef timer,
                                        Deque<Child> queue, Supplier<Behavior<Msg>> then) {
            return Behaviors.<Msg>receive((ctx, msg) -> {
                if (msg instanceof KillTimeout(var r) && r.equals(ref)) {
                    ctx.log().warn("supervisor {}: child {} did not stop in time, killing it", name, child.spec.id());
                    ctx.exit(pid, ExitReason.KILL);
                    return Behaviors.same();
                }
                return Behaviors.unhandled();
            }).onSignal((ctx, signal) -> {
                if (signal instanceof Signal.Down d && d.ref().equals(ref)) {
                    if (timer != null) {
                        timer.cancel();
                    }
                    byPid.remove(pid);
                    if (child.pid == pid) {
                        child.pid = null;
                    }
                    return stopChildren(queue, then);
                }
                if (signal instanceof Signal.PostStop) {
                    return Behaviors.same();
                }
                return Behaviors.unhandled();
            });
        }

        SupervisorReport report(int limit) {
            int max = Math.max(0, limit);
            List<ChildInfo> list = new ArrayList<>(Math.min(max, children.size()));
            for (Child c : children) {
                if (list.size() >= max) {
                    break;
                }
                list.add(c.info());
            }
            long now = System.nanoTime();
            long window = spec.intensity().within().toNanos();
            int inWindow = 0;
            for (long t : restartTimes) {
                if (now - t <= window) {
                    inWindow++;
                }
            }
            return new SupervisorReport(spec.name(), ctx.self(), spec.strategy(), spec.intensity().maxRestarts(),
                    spec.intensity().within().toSeconds(), restarts, inWindow, lastRestartAt, lastRestartReason,
                    children.size(), children.size() > list.size(), List.copyOf(list));
        }
    }
}
