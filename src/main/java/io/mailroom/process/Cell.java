package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.slf4j.Logger;

/**
 * One process, the top of three stacked layers: {@link CellMailbox} (pid, scheduling state,
 * mailbox), {@link CellSignals} (signals, links, monitors) and this, the interpreter: it runs the
 * process's turns, applies its behaviour to each message, ends it, and is the process's own
 * {@link ProcessContext}. The layers are one object, so an idle process is a single small object
 * (and the process is its own mailbox's stub node).
 */
final class Cell<M> extends CellSignals<M> implements Pid<M>, ProcessContext<M>, ProcessView, Receiver {

    private static final VarHandle REDUCTIONS;

    static {
        try {
            REDUCTIONS = MethodHandles.lookup().findVarHandle(Cell.class, "reductions", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Behavior<M> behavior;
    private long reductions;

    Cell(Node node, long id, SpawnOptions options, Behavior<M> behavior, Cell<?> parent) {
        super(node, id, options, parent);
        this.behavior = behavior;
        if (!(behavior instanceof Behavior.Receive<M> r) || r.hasTimeout()) {
            this.state = RUNNING; // its first turn is start(): nothing may schedule it before that
        }
    }

    @Override
    public void send(M message) {
        deliver(Objects.requireNonNull(message, "message"));
    }

    // ---------------------------------------------------------------- running

    /**
     * The first turn, run by the spawner before spawn returns (as {@code proc_lib:start_link}
     * waits for {@code init}): the setup runs, so children of a supervisor are initialised one
     * after another, in order. Messages and signals that arrive meanwhile wait in the mailbox.
     */
    void start() {
        if (state != RUNNING) {
            return; // a plain receive behaviour: nothing to do until a message arrives
        }
        if (!startBehavior()) {
            return;
        }
        state = WAITING;
        if (hasWork() && STATE.compareAndSet(this, WAITING, RUNNABLE)) {
            node.scheduler.submit(this);
        }
    }

    /** One turn on a scheduler thread: signals first, then up to the budget of messages. */
    void run(int budget) {
        state = RUNNING;
        if (needsStart() && !startBehavior()) {
            return;
        }
        boolean usedUpBudget = false;
        while (true) {
            if (hasSignals() && !handleSignals()) {
                return;
            }
            if (budget-- <= 0) {
                usedUpBudget = true;
                break;
            }
            Object m = poll();
            if (m == null) {
                break;
            }
            if (!dispatch(m)) {
                return;
            }
        }
        state = WAITING;
        if (hasWork() && STATE.compareAndSet(this, WAITING, RUNNABLE)) {
            if (usedUpBudget) {
                node.scheduler.requeue(this); // behind the others: a busy process cannot starve them
            } else {
                node.scheduler.submit(this);
            }
        }
    }

    /** A setup to run, or a receive timeout never armed: the process's first turn. */
    private boolean needsStart() {
        Behavior<M> b = behavior;
        if (b instanceof Behavior.Setup<M>) {
            return true;
        }
        if (b instanceof Behavior.Receive<M> r && r.hasTimeout()) {
            Extras x = extras;
            return x == null || x.timeoutGeneration == 0;
        }
        return false;
    }

    /** Handles one message; false if the process ended. */
    @SuppressWarnings("unchecked")
    private boolean dispatch(Object m) {
        Behavior<M> current = behavior;
        Behavior.Receive<M> receive = (Behavior.Receive<M>) current;
        Behavior<M> next;
        try {
            if (m instanceof Signal s) {
                if (s instanceof Signal.Down d && !stillMonitoring(d)) {
                    return true; // demonitored since it was sent
                }
                next = receive.onSignal == null ? Behaviors.same() : receive.onSignal.apply(this, s);
                if (s instanceof Signal.Down d && next != Behaviors.<M>unhandled()) {
                    extras.monitoring.remove(d.ref()); // handled: the monitor is over (a deferred Down keeps it)
                }
            } else if (m instanceof ReceiveTimeout t) {
                Extras x = extras;
                if (x == null || t.generation() != x.timeoutGeneration || !receive.hasTimeout()) {
                    return true; // stale: a message was handled since the timer started
                }
                x.receiveTimer = null;
                next = receive.onTimeout.apply(this);
            } else if (m instanceof Piped<?, ?> piped) {
                m = piped.map(); // here, on the process's own turn: see pipeToSelf
                next = receive.receive(this, (M) m);
            } else {
                next = receive.receive(this, (M) m);
            }
        } catch (Throwable t) {
            if (node.tracing != 0) {
                traced(m, Tracer.Outcome.CRASHED);
            }
            return crash(m, t);
        }
        if (node.tracing != 0) { // the one check an untraced process pays: a field nobody writes while no one traces
            traced(m, outcome(next));
        }
        return become(next, m);
    }

    private boolean stillMonitoring(Signal.Down d) {
        Extras x = extras;
        Map<MonitorRef, Pid<?>> monitoring = x == null ? null : x.monitoring;
        return monitoring != null && monitoring.containsKey(d.ref());
    }

    /** Applies a handler's answer; false if the process ended. */
    private boolean become(Behavior<M> next, Object message) {
        if (next instanceof Behavior.Special<M> special) {
            switch (special.kind) {
                case Behavior.Special.SAME -> {
                    REDUCTIONS.setOpaque(this, reductions + 1);
                    if (((Behavior.Receive<M>) behavior).hasTimeout()) {
                        armTimeout();
                    }
                    return true;
                }
                case Behavior.Special.UNHANDLED -> {
                    extras().deferred().addLast(message);
                    return true;
                }
                default -> {
                    REDUCTIONS.setOpaque(this, reductions + 1);
                    terminate(special.reason, null);
                    return false;
                }
            }
        }
        REDUCTIONS.setOpaque(this, reductions + 1);
        if (next == null) {
            return crash(message, new NullPointerException("handler returned null behaviour"));
        }
        behavior = next;
        if (next instanceof Behavior.Setup<M> && !startBehavior()) {
            return false;
        }
        Extras x = extras;
        if (x != null) {
            ArrayDeque<Object> d = x.deferred;
            if (d != null && !d.isEmpty()) {
                ArrayDeque<Object> r = x.replay;
                if (r == null || r.isEmpty()) {
                    x.replay = d;
                    x.deferred = r;
                } else {
                    d.addAll(r);   // re-deferred ones arrived before the rest of the replay
                    r.clear();
                    x.replay = d;
                    x.deferred = r;
                }
            }
        }
        if (((Behavior.Receive<M>) behavior).hasTimeout()) {
            armTimeout();
        } else if (x != null && x.receiveTimer != null) {
            x.receiveTimer.cancel();
            x.receiveTimer = null;
        }
        return true;
    }

    /** Expands setup behaviours until a receive behaviour is current; false if the process ended. */
    private boolean startBehavior() {
        Behavior<M> b = behavior;
        try {
            while (b instanceof Behavior.Setup<M> setup) {
                b = setup.factory.apply(this);
            }
        } catch (Throwable t) {
            return crash("setup", t);
        }
        if (b instanceof Behavior.Special<M> special) {
            if (special.kind == Behavior.Special.STOPPED) {
                terminate(special.reason, null);
                return false;
            }
            return crash("setup", new IllegalStateException("setup must return a behaviour, not " + special));
        }
        if (b == null) {
            return crash("setup", new IllegalStateException("setup returned null"));
        }
        behavior = b;
        if (((Behavior.Receive<M>) b).hasTimeout()) {
            armTimeout();
        }
        return true;
    }

    private void armTimeout() {
        Extras x = extras();
        if (x.receiveTimer != null) {
            x.receiveTimer.cancel();
        }
        long generation = ++x.timeoutGeneration;
        x.receiveTimer = node.timers.schedule(this, new ReceiveTimeout(generation),
                ((Behavior.Receive<M>) behavior).timeoutNanos);
    }

    /** The stage's outcome goes to the mailbox as it is; {@link #dispatch} maps it on this process's turn. */
    @Override
    public <T> void pipeToSelf(CompletionStage<T> stage, BiFunction<? super T, ? super Throwable, ? extends M> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        stage.whenComplete((value, failure) -> deliver(Piped.of(value, failure, mapper)));
    }

    // ---------------------------------------------------------------- tracing

    /** Tells this process's tracer, if it has one, what its behaviour did with {@code message}. */
    private void traced(Object message, Tracer.Outcome outcome) {
        Extras x = extras;
        Tracer t = x == null ? null : x.tracer;
        if (t != null) {
            try {
                t.handled(this, message, outcome);
            } catch (Throwable e) {
                LOG.warn("the tracer of {} failed; it is detached", this, e);
                untrace(t);
            }
        }
    }

    private static Tracer.Outcome outcome(Behavior<?> next) {
        if (next instanceof Behavior.Special<?> special) {
            return switch (special.kind) {
                case Behavior.Special.SAME -> Tracer.Outcome.SAME;
                case Behavior.Special.UNHANDLED -> Tracer.Outcome.DEFERRED;
                default -> Tracer.Outcome.STOPPED;
            };
        }
        return next == null ? Tracer.Outcome.CRASHED : Tracer.Outcome.CHANGED;
    }

    /** Starts tracing with {@code tracer}; false if the process has ended or is traced already. */
    boolean trace(Tracer tracer) {
        if (!isAlive()) {
            return false;
        }
        Extras x = extras();
        synchronized (x) {
            if (x.tracer != null) {
                return false;
            }
            x.tracer = tracer;
        }
        node.tracingStarted();
        if (!isAlive()) {
            untrace(tracer); // it ended meanwhile, maybe before terminate could see the tracer
            return false;
        }
        return true;
    }

    /** Stops tracing with {@code tracer}, if it is still the one; true if it was. */
    boolean untrace(Tracer tracer) {
        Extras x = extras;
        if (x == null) {
            return false;
        }
        synchronized (x) {
            if (x.tracer != tracer) {
                return false;
            }
            x.tracer = null;
        }
        node.tracingStopped();
        return true;
    }

    // ---------------------------------------------------------------- ending

    /**
     * The one way a process crashes: {@code cause} is reported (with what it was handling) and is
     * the very exception its exit reason carries, so the log and the links tell the same story.
     * Always false, the "process ended" answer of the turn's steps.
     */
    private boolean crash(Object handling, Throwable cause) {
        node.crashes.report(this, handling, cause);
        terminate(ExitReason.crash(cause), null);
        return false;
    }

    /**
     * The runtime failed inside this process's turn, outside any handler (a bug of ours, or an
     * Error that escaped): the process ends as a crash, as if its handler had thrown, so that its
     * links and monitors hear of it, and the scheduler thread goes on with the next process.
     */
    void abandon(Throwable error) {
        if (state == DEAD) {
            return;
        }
        if (state != EXITING) {
            try {
                crash(null, error);
                return;
            } catch (Throwable again) {
                LOG.error("{} could not be ended cleanly", this, again);
            }
        }
        // terminate itself failed partway: the least is that the process is gone
        state = DEAD;
        behavior = null;
        node.table.remove(this);
    }

    /** Ends the process: tells links and monitors, frees its name, leaves the process table. */
    @Override
    void terminate(ExitReason reason, SystemSignal unhandled) {
        if (reason instanceof ExitReason.Kill) {
            reason = ExitReason.KILLED;
        }
        state = EXITING;
        Extras x = extras;
        if (x != null && x.receiveTimer != null) {
            x.receiveTimer.cancel();
            x.receiveTimer = null;
        }
        if (behavior instanceof Behavior.Receive<M> r && r.onSignal != null) {
            try {
                r.onSignal.apply(this, new Signal.PostStop(reason));
            } catch (Throwable t) {
                try {
                    LOG.warn("{} threw while stopping with reason {}", this, reason, t);
                } catch (Throwable unprintable) {
                    // on a scheduler thread: a throwable that cannot be logged must not take it down
                    LOG.warn("{} threw a {} while stopping, which could not be logged", this, t.getClass().getName());
                }
            }
        }
        x = extras;
        if (x != null && x.name != null) {
            node.registry.unregister(x.name, this);
        }
        endSignals(unhandled, reason);
        behavior = null;
        state = DEAD;
        node.table.remove(this);
        node.countExit(reason);
        x = extras;
        Tracer tracer = x == null ? null : x.tracer;
        if (tracer != null && untrace(tracer)) {
            try {
                tracer.ended(this, reason);
            } catch (Throwable t) {
                LOG.warn("the tracer of {} failed as the process ended", this, t);
            }
        }
        releaseMailbox();
    }

    /** The current behaviour's description of the state, asked on this process's turn; never throws. */
    @Override
    StateRequest.Answer describe() {
        try {
            var description = behavior instanceof Behavior.Receive<M> r && r.description != null
                    ? r.description.get() : null;
            return new StateRequest.Answer(description, null);
        } catch (Throwable t) {
            return new StateRequest.Answer(null, t);
        }
    }

    // ---------------------------------------------------------------- context

    @Override
    public Pid<M> self() {
        return this;
    }

    @Override
    public Node node() {
        return node;
    }

    @Override
    public <T> Pid<T> spawn(Behavior<T> behavior, SpawnOptions options) {
        Cell<T> child = node.newCell(behavior, options, this);
        child.start();
        return child;
    }

    @Override
    public <T> Pid<T> spawnLink(Behavior<T> behavior, SpawnOptions options) {
        Cell<T> child = node.newCell(behavior, options, this);
        child.extras().links().add(this);
        extras().links().add(child);
        child.start();
        return child;
    }

    @Override
    public <T> Spawned<T> spawnMonitor(Behavior<T> behavior, SpawnOptions options) {
        Cell<T> child = node.newCell(behavior, options, this);
        MonitorRef ref = node.newRef();
        child.extras().monitoredBy().put(ref, this);
        extras().monitoring().put(ref, child);
        child.start();
        return new Spawned<>(child, ref);
    }

    @Override
    public TimerRef sendAfter(M message, Duration delay) {
        return node.sendAfter(this, message, delay);
    }

    @Override
    public <T> TimerRef sendAfter(Pid<T> target, T message, Duration delay) {
        return node.sendAfter(target, message, delay);
    }

    @Override
    public void register(String name) {
        node.register(name, this);
    }

    /** Records the registered name; called by the registry. */
    void named(String name) {
        extras().name = name;
    }

    @Override
    public Logger log() {
        return LOG;
    }

    // ---------------------------------------------------------------- introspection

    @Override
    public Pid<?> pid() {
        return this;
    }

    @Override
    public String registeredName() {
        Extras x = extras;
        return x == null ? null : x.name;
    }

    @Override
    public String type() {
        return options.type();
    }

    @Override
    public long reductions() {
        return (long) REDUCTIONS.getOpaque(this);
    }

    @Override
    public String toString() {
        return node.formatPid(id);
    }
}
