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
import java.util.LinkedHashMap;
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

    /**
     * Start a child (OTP's {@code start_child}). A child whose spec registers a name is started at
     * most once per name: if a child of this supervisor runs under that name, the answer is
     * {@code AlreadyStarted} with its pid (OTP's {@code {error, {already_started, Pid}}}); if that
     * child has ended and the supervisor has not yet handled its exit, the request waits until it
     * has, and is answered then (with the restarted child, or by starting this one if the old one
     * is not restarted); if its restart failed and is to be tried again, {@code Refused} with
     * {@code restarting}. So "look up or start" is one request that never races a restart.
     */
    public record StartChild(ChildSpec<?> spec, Pid<StartResult> replyTo) implements Msg {}

    /** Stop a child; answers false if it is not a running child (OTP's {@code terminate_child}). */
    public record TerminateChild(Pid<?> child, Pid<Boolean> replyTo) implements Msg {}

    /** List the children (OTP's {@code which_children}). */
    public record WhichChildren(Pid<List<ChildInfo>> replyTo) implements Msg {}

    /** Count the children (OTP's {@code count_children}). */
    public record CountChildren(Pid<ChildCounts> replyTo) implements Msg {}

    /** Report statistics and at most {@code childLimit} children. */
    public record Report(int childLimit, Pid<SupervisorReport> replyTo) implements Msg {}

    /**
     * Start again a static child that is not running (OTP's {@code restart_child}): answers
     * {@code Started}, or {@code Refused} with {@code running}, {@code restarting}, {@code not_found},
     * {@code dynamic} (a dynamic supervisor has no such call) or the start's error.
     */
    public record RestartChild(String id, Pid<StartResult> replyTo) implements Msg {}

    /** Forget a static child that is not running (OTP's {@code delete_child}). */
    public record DeleteChild(String id, Pid<DeleteResult> replyTo) implements Msg {}

    /** A shutdown timer of one stop ran out: kill the children it covers that have not ended. */
    private record KillTimeout(Object timer) implements Msg {}

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
                    return state.stopAll(() -> Behaviors.stopped(reason));
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

    /**
     * OTP's {@code restart_child}: starts the static child {@code id} again if it is not running
     * (it was terminated, or ended and was not restarted). Does not count against the intensity.
     */
    public static CompletableFuture<StartResult> restartChild(Node node, Pid<Msg> supervisor, String id,
                                                              Duration timeout) {
        return node.call(supervisor, reply -> new RestartChild(id, reply), timeout);
    }

    /** OTP's {@code delete_child}: forgets the static child {@code id} if it is not running. */
    public static CompletableFuture<DeleteResult> deleteChild(Node node, Pid<Msg> supervisor, String id,
                                                             Duration timeout) {
        return node.call(supervisor, reply -> new DeleteChild(id, reply), timeout);
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
        /** Its restart failed and is to be tried again (OTP's {@code {restarting, Pid}}). */
        boolean restarting;
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
        /** Children whose spec registers a name, by that name: at most one per name. */
        final Map<String, Child> byName = new HashMap<>();
        /** Start requests deferred until the exit of a child they name is handled. */
        int waitingStarts;
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
            String registered = child.spec.options().name();
            if (registered != null) {
                byName.putIfAbsent(registered, child);
            }
            return true;
        }

        void remove(Child child) {
            children.remove(child);
            if (byId.get(child.spec.id()) == child) {
                byId.remove(child.spec.id());
            }
            String registered = child.spec.options().name();
            if (registered != null && byName.get(registered) == child) {
                byName.remove(registered);
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        void spawn(Child child) {
            ChildSpec spec = child.spec;
            Pid<?> pid = ctx.spawnLink((Behavior) spec.start().get(), spec.options());
            child.pid = pid;
            child.restarting = false;
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

        /** Stops every running child (reverse start order; a dynamic supervisor's all at once), then {@code then}. */
        Behavior<Msg> stopAll(Supplier<Behavior<Msg>> then) {
            return stopChildren(runningReversed(), spec.dynamic(), then);
        }

        // ---- the main loop

        Behavior<Msg> running() {
            return Behaviors.receive(this::onMessage, this::onSignal).describedBy(this::describe);
        }

        /** Children shown in a description, at most: a dynamic supervisor may have a million. */
        static final int DESCRIBED_CHILDREN = 50;

        /** For the process page: the strategy, the intensity window as it stands, and the first children. */
        private Map<String, Object> describe() {
            long now = System.nanoTime();
            long window = spec.intensity().within().toNanos();
            int inWindow = 0;
            for (long t : restartTimes) {
                if (now - t <= window) {
                    inWindow++;
                }
            }
            Map<String, Object> intensity = new LinkedHashMap<>();
            intensity.put("maxRestarts", spec.intensity().isUnlimited() ? null : spec.intensity().maxRestarts());
            intensity.put("withinSeconds", spec.intensity().within().toSeconds());
            intensity.put("restartsInWindow", inWindow);
            List<Map<String, Object>> shown = new ArrayList<>();
            for (Child c : children) {
                if (shown.size() >= DESCRIBED_CHILDREN) {
                    break;
                }
                Map<String, Object> child = new LinkedHashMap<>();
                child.put("id", c.spec.id());
                child.put("pid", c.pid == null ? null : c.pid.toString());
                child.put("restarts", c.restarts);
                shown.add(child);
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("strategy", spec.strategy().label());
            d.put("intensity", intensity);
            d.put("restarts", restarts);
            d.put("childCount", children.size());
            d.put("children", shown);
            return d;
        }

        private Behavior<Msg> onMessage(ProcessContext<Msg> ctx, Msg msg) {
            return switch (msg) {
                case StartChild(var childSpec, var replyTo) -> {
                    Child holder = childSpec.options().name() == null ? null : byName.get(childSpec.options().name());
                    if (holder != null && holder.pid != null && !holder.pid.isAlive()) {
                        // its EXIT is on the way (it is linked to us): answer once that is handled
                        waitingStarts++;
                        yield Behaviors.unhandled();
                    }
                    replyTo.send(startChild(childSpec, holder));
                    yield Behaviors.same();
                }
                case TerminateChild(var pid, var replyTo) -> {
                    Child child = byPid.get(pid);
                    if (child == null) {
                        replyTo.send(false);
                        yield Behaviors.same();
                    }
                    ArrayDeque<Child> one = new ArrayDeque<>(List.of(child));
                    yield stopChildren(one, false, () -> {
                        if (spec.dynamic() || child.spec.restart() == Restart.TEMPORARY) {
                            remove(child);
                        }
                        replyTo.send(true);
                        return running();
                    });
                }
                case RestartChild(var id, var replyTo) -> {
                    replyTo.send(restartChild(id));
                    yield Behaviors.same();
                }
                case DeleteChild(var id, var replyTo) -> {
                    replyTo.send(deleteChild(id));
                    yield Behaviors.same();
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
                case RetryStart(var child, var reason) -> {
                    // OTP's try_again_restart: only if the child is still waiting for it (not
                    // restarted with a group meanwhile, nor terminated or deleted)
                    if (!child.restarting || !children.contains(child)) {
                        yield Behaviors.same();
                    }
                    child.restarting = false;
                    yield restart(child, reason);
                }
                case KillTimeout k -> Behaviors.same(); // stale: those children ended in time
            };
        }

        /** OTP's start_child; {@code holder} is the child already registered under the spec's name, if any. */
        private StartResult startChild(ChildSpec<?> childSpec, Child holder) {
            if (holder != null) {
                return holder.pid != null ? new StartResult.AlreadyStarted(holder.pid)
                        : new StartResult.Refused(holder.restarting ? "restarting" : "already_present");
            }
            if (spec.maxChildren() > 0 && children.size() >= spec.maxChildren()) {
                return new StartResult.Refused("max_children");
            }
            Child child = new Child(childSpec);
            if (!addStatic(child)) {
                Child existing = byId.get(childSpec.id());
                return existing.pid != null ? new StartResult.AlreadyStarted(existing.pid)
                        : new StartResult.Refused("already_present");
            }
            StartResult result = tryStart(child);
            if (!(result instanceof StartResult.Started)) {
                remove(child);
            }
            return result;
        }

        private StartResult tryStart(Child child) {
            try {
                spawn(child);
                return new StartResult.Started(child.pid);
            } catch (NameTakenException e) {
                return e.holder() != null ? new StartResult.AlreadyStarted(e.holder())
                        : new StartResult.Refused("name_taken");
            } catch (RuntimeException e) {
                return new StartResult.Refused(String.valueOf(e));
            }
        }

        /** OTP's restart_child: only a static child that is known and not running, not counted as a restart. */
        private StartResult restartChild(String id) {
            if (spec.dynamic()) {
                return new StartResult.Refused("dynamic");
            }
            Child child = byId.get(id);
            if (child == null) {
                return new StartResult.Refused("not_found");
            }
            if (child.restarting) {
                return new StartResult.Refused("restarting");
            }
            if (child.pid != null) {
                return new StartResult.Refused("running");
            }
            return tryStart(child);
        }

        /** OTP's delete_child: only a static child that is known and not running. */
        private DeleteResult deleteChild(String id) {
            if (spec.dynamic()) {
                return DeleteResult.DYNAMIC;
            }
            Child child = byId.get(id);
            if (child == null) {
                return DeleteResult.NOT_FOUND;
            }
            if (child.restarting) {
                return DeleteResult.RESTARTING;
            }
            if (child.pid != null) {
                return DeleteResult.RUNNING;
            }
            remove(child);
            return DeleteResult.DELETED;
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
                    return stopAll(() -> Behaviors.stopped(reason));
                }
                return Behaviors.same(); // an exit from a process that is not our child: nothing to do
            }
            byPid.remove(from);
            child.pid = null;
            if (!shouldRestart(child.spec.restart(), reason)) {
                if (spec.dynamic() || child.spec.restart() == Restart.TEMPORARY) {
                    remove(child);
                }
                return replayWaitingStarts(Behaviors.same());
            }
            return replayWaitingStarts(restart(child, reason));
        }

        /**
         * After a child's exit is handled: a fresh behaviour, if start requests wait for such an
         * exit, so that they are offered again (a deferred message is replayed on a change of
         * behaviour); one still naming a child whose exit is not handled waits again.
         */
        private Behavior<Msg> replayWaitingStarts(Behavior<Msg> next) {
            if (waitingStarts == 0) {
                return next;
            }
            waitingStarts = 0; // each counts itself again if it has to wait again
            return next == Behaviors.<Msg>same() ? running() : next;
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
            if (!spec.intensity().isUnlimited()) {
                long now = System.nanoTime();
                restartTimes.addLast(now);
                long window = spec.intensity().within().toNanos();
                while (!restartTimes.isEmpty() && now - restartTimes.peekFirst() > window) {
                    restartTimes.pollFirst();
                }
                if (restartTimes.size() > spec.intensity().maxRestarts()) {
                    return false;
                }
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
                return stopAll(() -> Behaviors.stopped(ExitReason.SHUTDOWN));
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
            return stopChildren(toStop, false, () -> {
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
         * Starts children in order and stops at the first that fails to start, as OTP's
         * {@code start_children}: that one is reported ({@code start_error}), marked restarting and
         * tried again as another restart of its own (so for one_for_all and rest_for_one its group
         * is stopped and started again); the children after it stay stopped until then. Each child
         * started or tried counts as restarted, also the siblings restarted with the one that ended.
         */
        private void startAgain(List<Child> group, ExitReason reason) {
            for (Child c : group) {
                c.restarts++;
                c.lastRestartAt = lastRestartAt;
                c.lastRestartReason = lastRestartReason;
                try {
                    spawn(c);
                } catch (RuntimeException e) {
                    ExitReason error = ExitReason.crash(e);
                    ctx.log().error("supervisor {}: child {} failed to restart (start_error): {}", name,
                            c.spec.id(), e.toString());
                    spec.listener().startFailed(name, c.spec.id(), error);
                    c.restarting = true;
                    ctx.self().send(new RetryStart(c, error));
                    return;
                }
            }
        }

        // ---- stopping

        /**
         * Stops the children of {@code queue} (OTP's {@code shutdown}), then continues with
         * {@code then}: one at a time in queue order, or all at once when {@code parallel} (OTP's
         * {@code terminate_dynamic_children}: every child is signalled, then the supervisor waits for
         * all of them under one timer per shutdown timeout). Everything else waits in the mailbox
         * meanwhile, in one behaviour for the whole stop: deferred messages are offered again once,
         * when it is over, not once per child.
         */
        Behavior<Msg> stopChildren(Deque<Child> queue, boolean parallel, Supplier<Behavior<Msg>> then) {
            StopRun run = new StopRun(queue, parallel, then);
            run.advance();
            return run.isDone() ? run.finish() : run.behavior();
        }

        /** The kill timer shared by the children stopped together with the same shutdown timeout. */
        private static final class KillTimer {
            TimerRef ref;
            int live;
        }

        /** A child signalled and not yet down. */
        private record Pending(Child child, Pid<?> pid, KillTimer timer) {}

        /** One stop of one or more children. */
        private final class StopRun {
            final Deque<Child> queue;
            final boolean parallel;
            final Supplier<Behavior<Msg>> then;
            final Map<MonitorRef, Pending> pending = new HashMap<>();
            final Map<Duration, KillTimer> timers = new HashMap<>();
            final Map<String, List<String>> errors = new LinkedHashMap<>();

            StopRun(Deque<Child> queue, boolean parallel, Supplier<Behavior<Msg>> then) {
                this.queue = queue;
                this.parallel = parallel;
                this.then = then;
            }

            boolean isDone() {
                return pending.isEmpty() && queue.isEmpty();
            }

            /** Signals the next child (or, in parallel, all of them). */
            void advance() {
                while (!queue.isEmpty() && (parallel || pending.isEmpty())) {
                    Child child = queue.pollFirst();
                    if (child.pid != null) {
                        signal(child);
                    }
                }
            }

            private void signal(Child child) {
                Pid<?> pid = child.pid;
                MonitorRef ref = ctx.monitor(pid);
                ctx.unlink(pid);
                KillTimer timer = null;
                switch (child.spec.shutdown()) {
                    case Shutdown.BrutalKill b -> ctx.exit(pid, ExitReason.KILL);
                    case Shutdown.Infinity i -> ctx.exit(pid, ExitReason.SHUTDOWN);
                    case Shutdown.Timeout(var timeout) -> {
                        ctx.exit(pid, ExitReason.SHUTDOWN);
                        timer = timers.get(timeout);
                        if (timer == null || !parallel) {
                            timer = new KillTimer();
                            timer.ref = ctx.sendAfter(new KillTimeout(timer), timeout);
                            timers.put(timeout, timer);
                        }
                        timer.live++;
                    }
                }
                pending.put(ref, new Pending(child, pid, timer));
            }

            Behavior<Msg> behavior() {
                return Behaviors.receive((ProcessContext<Msg> c, Msg msg) -> {
                    if (msg instanceof KillTimeout(var t)) {
                        if (t instanceof KillTimer timer && timers.containsValue(timer)) {
                            timers.values().remove(timer);
                            kill(timer);
                        }
                        return Behaviors.same(); // else stale, from a stop already over
                    }
                    return Behaviors.unhandled();
                }, (c, signal) -> switch (signal) {
                    case Signal.Down d -> down(d);
                    case Signal.Exit e -> Behaviors.unhandled(); // served when the stop is over
                    case Signal.PostStop p -> Behaviors.same();
                });
            }

            private void kill(KillTimer timer) {
                int killed = 0;
                for (Pending p : pending.values()) {
                    if (p.timer() == timer) {
                        ctx.exit(p.pid(), ExitReason.KILL);
                        killed++;
                    }
                }
                if (killed > 0) {
                    ctx.log().warn("supervisor {}: {} child(ren) did not stop in time, killing them", name, killed);
                }
            }

            private Behavior<Msg> down(Signal.Down d) {
                Pending p = pending.remove(d.ref());
                if (p == null) {
                    return Behaviors.same();
                }
                byPid.remove(p.pid());
                if (p.child().pid == p.pid()) {
                    p.child().pid = null;
                }
                if (!stoppedAsAsked(p.child().spec, d.reason())) {
                    // OTP's shutdown_error: the child ended with another reason than the one asked for
                    spec.listener().shutdownError(name, p.child().spec.id(), d.reason());
                    errors.computeIfAbsent(String.valueOf(d.reason()), r -> new ArrayList<>()).add(p.child().spec.id());
                }
                KillTimer timer = p.timer();
                if (timer != null && --timer.live == 0 && timers.values().remove(timer)) {
                    timer.ref.cancel();
                }
                advance();
                return isDone() ? finish() : Behaviors.same();
            }

            Behavior<Msg> finish() {
                for (KillTimer t : timers.values()) {
                    t.ref.cancel();
                }
                timers.clear();
                errors.forEach((reason, ids) -> ctx.log().error(
                        "supervisor {}: shutdown_error: {} child(ren) ended with {} when asked to stop: {}",
                        name, ids.size(), reason, ids.size() <= 10 ? ids : ids.subList(0, 10) + "…"));
                return then.get();
            }
        }

        /**
         * OTP's check of a stopped child's exit reason: {@code killed} for brutal kill, else
         * {@code shutdown}; {@code normal} and {@code {shutdown, Term}} (and {@code shutdown} for brutal
         * kill) only for a child that is not permanent. Anything else is a {@code shutdown_error}.
         */
        static boolean stoppedAsAsked(ChildSpec<?> child, ExitReason reason) {
            boolean brutal = child.shutdown() instanceof Shutdown.BrutalKill;
            boolean permanent = child.restart() == Restart.PERMANENT;
            return switch (reason) {
                case ExitReason.Killed k -> brutal;
                case ExitReason.Shutdown(var detail) when detail == null -> !brutal || !permanent;
                case ExitReason.Shutdown s -> !permanent;
                case ExitReason.Normal n -> !permanent;
                default -> false;
            };
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
