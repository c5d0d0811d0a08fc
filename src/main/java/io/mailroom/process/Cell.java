package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process: its pid, mailbox, behaviour, signals and scheduling state. It is also its own
 * {@link ProcessContext}, and the first (stub) node of its own mailbox queue, so an idle process
 * is a single small object.
 *
 * <p>Mailbox: Vyukov's intrusive many-producer one-consumer queue; a send is one allocation and one
 * atomic swap. Signals (link, exit, monitor) go to a separate lock-free stack and are handled
 * ahead of messages. The scheduling state makes sure a process is queued to run at most once and
 * is never left waiting with work pending: a sender swaps the tail then reads the state; the owner
 * writes the state then reads the tail.
 */
final class Cell<M> extends MailNode implements Pid<M>, ProcessContext<M>, ProcessView, Receiver {

    static final int WAITING = 0;
    static final int RUNNABLE = 1;
    static final int RUNNING = 2;
    static final int EXITING = 3;
    static final int DEAD = 4;

    private static final Logger LOG = LoggerFactory.getLogger("io.mailroom.process");
    private static final VarHandle STATE;
    private static final VarHandle TAIL;
    private static final VarHandle SIGNALS;
    private static final VarHandle HEAD;
    private static final VarHandle REDUCTIONS;
    private static final VarHandle EXTRAS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(Cell.class, "state", int.class);
            TAIL = lookup.findVarHandle(Cell.class, "tail", MailNode.class);
            SIGNALS = lookup.findVarHandle(Cell.class, "signals", SystemSignal.class);
            HEAD = lookup.findVarHandle(Cell.class, "head", MailNode.class);
            REDUCTIONS = lookup.findVarHandle(Cell.class, "reductions", long.class);
            EXTRAS = lookup.findVarHandle(Cell.class, "extras", Extras.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Node node;
    final long id;
    final SpawnOptions options;
    /**
     * The spawning process, or null: a plain field, not in {@link Extras}, because every process a
     * process spawns has one, and a field fits in the object's alignment padding (72 bytes either
     * way) where an {@code Extras} would add 64 bytes to each child.
     */
    private final Cell<?> parent;

    private volatile MailNode tail;
    private MailNode head;
    private volatile int state;
    private volatile SystemSignal signals;
    private Behavior<M> behavior;
    private volatile Extras extras;
    private long reductions;

    Cell(Node node, long id, SpawnOptions options, Behavior<M> behavior, Cell<?> parent) {
        this.node = node;
        this.id = id;
        this.options = options;
        this.parent = parent;
        this.behavior = behavior;
        this.head = this;
        this.tail = this;
        if (!(behavior instanceof Behavior.Receive<M> r) || r.hasTimeout()) {
            this.state = RUNNING; // its first turn is start(): nothing may schedule it before that
        }
        if (options.mailboxBound() > 0 || options.trapExits()) {
            Extras x = new Extras(options.mailboxBound() > 0);
            x.trapExits = options.trapExits();
            this.extras = x;
        }
    }

    // ---------------------------------------------------------------- sending

    @Override
    public void send(M message) {
        deliver(Objects.requireNonNull(message, "message"));
    }

    @Override
    public void deliver(Object message) {
        if (state >= EXITING) {
            // Ending or ended (isAlive() is already false): nothing will take it from the mailbox.
            node.countDropped();
            return;
        }
        if (options.mailboxBound() > 0 && !admit(message)) {
            return;
        }
        enqueue(new MailNode(message));
        node.countSent();
        wake();
    }

    /**
     * Bounded mailboxes: counts the arrival and applies the overflow policy. The bound is for
     * ordinary messages: a {@link Signal.Down} or a receive-timeout tick is always let in (the
     * runtime owes it to the process: a monitor reports exactly once).
     */
    private boolean admit(Object message) {
        Extras x = extras;
        int depth = x.queued.incrementAndGet();
        if (depth <= options.mailboxBound() || isSystemMessage(message)) {
            return true;
        }
        switch (options.overflow()) {
            case DROP_OLDEST:
                return true; // the owner drops from the head while over the bound
            case EXIT:
                x.queued.decrementAndGet();
                node.countDropped();
                pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, null, ExitReason.of("mailbox_overflow"), null));
                return false;
            default:
                x.queued.decrementAndGet();
                node.countDropped();
                return false;
        }
    }

    private void enqueue(MailNode n) {
        MailNode prev = (MailNode) TAIL.getAndSet(this, n);
        prev.next = n;
    }

    /** The owner puts a message in its own mailbox (a trapped exit, a noproc down). */
    private void enqueueOwn(Object message) {
        Extras x = extras;
        if (x != null && x.queued != null) {
            x.queued.incrementAndGet();
        }
        enqueue(new MailNode(message));
    }

    /** Puts the process on a run queue if it is waiting; at most one caller wins. */
    private void wake() {
        if (state == WAITING && STATE.compareAndSet(this, WAITING, RUNNABLE)) {
            node.scheduler.submit(this);
        }
    }

    /** Pushes a system signal; false if the process has ended and takes no more. */
    boolean pushSignal(SystemSignal s) {
        for (;;) {
            SystemSignal top = signals;
            if (top == SystemSignal.CLOSED) {
                return false;
            }
            s.next = top;
            if (SIGNALS.compareAndSet(this, top, s)) {
                break;
            }
        }
        wake();
        return true;
    }

    /** Starts a freshly spawned process: runs its setup (and arms its timeout) on its first turn. */
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

    // ---------------------------------------------------------------- running

    /** One turn on a scheduler thread: signals first, then up to the budget of messages. */
    void run(int budget) {
        state = RUNNING;
        if (needsStart() && !startBehavior()) {
            return;
        }
        boolean usedUpBudget = false;
        while (true) {
            if (signals != null && !handleSignals()) {
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

    private boolean hasWork() {
        if (tail != head || signals != null) {
            return true;
        }
        Extras x = extras;
        return x != null && x.replay != null && !x.replay.isEmpty();
    }

    private Object poll() {
        Extras x = extras;
        if (x != null) {
            ArrayDeque<Object> r = x.replay;
            if (r != null && !r.isEmpty()) {
                return r.pollFirst();
            }
        }
        for (;;) {
            MailNode h = head;
            MailNode n = h.next;
            if (n == null) {
                if (tail == h) {
                    return null;
                }
                // A sender swapped the tail but has not linked its node yet: it is a few
                // instructions away. Give the turn up rather than spin on a scheduler thread.
                Thread.onSpinWait();
                n = h.next;
                if (n == null) {
                    return null;
                }
            }
            HEAD.setOpaque(this, n);
            if (h == this) {
                this.next = null; // the process is its own stub node: do not keep the queue reachable
            }
            Object m = n.message;
            n.message = null;
            if (x != null && x.queued != null) {
                int depth = x.queued.decrementAndGet();
                if (options.overflow() == OverflowPolicy.DROP_OLDEST && depth >= options.mailboxBound()
                        && !isSystemMessage(m)) {
                    node.countDropped();
                    continue; // over the bound: this oldest message makes room
                }
            }
            return m;
        }
    }

    /** What the runtime itself puts in a mailbox, which a bounded mailbox never refuses or drops. */
    private static boolean isSystemMessage(Object message) {
        return message instanceof Signal || message instanceof ReceiveTimeout;
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
            node.crashes.report(this, m, t);
            terminate(ExitReason.crash(t), null);
            return false;
        }
        if (node.tracing != 0) { // the one check an untraced process pays: a field nobody writes while no one traces
            traced(m, outcome(next));
        }
        return become(next, m);
    }

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
            node.crashes.report(this, message, new NullPointerException("handler returned null behaviour"));
            terminate(ExitReason.crash(new NullPointerException("handler returned null behaviour")), null);
            return false;
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
            node.crashes.report(this, "setup", t);
            terminate(ExitReason.crash(t), null);
            return false;
        }
        if (b instanceof Behavior.Special<M> special) {
            if (special.kind == Behavior.Special.STOPPED) {
                terminate(special.reason, null);
                return false;
            }
            IllegalStateException e = new IllegalStateException("setup must return a behaviour, not " + special);
            node.crashes.report(this, "setup", e);
            terminate(ExitReason.crash(e), null);
            return false;
        }
        if (b == null) {
            IllegalStateException e = new IllegalStateException("setup returned null");
            node.crashes.report(this, "setup", e);
            terminate(ExitReason.crash(e), null);
            return false;
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
    public <T> void pipeToSelf(java.util.concurrent.CompletionStage<T> stage,
                               java.util.function.BiFunction<? super T, ? super Throwable, ? extends M> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        stage.whenComplete((value, failure) -> deliver(Piped.of(value, failure, mapper)));
    }

    // ---------------------------------------------------------------- signals

    /** Handles pending system signals in arrival order; false if they ended the process. */
    private boolean handleSignals() {
        SystemSignal s = reverse((SystemSignal) SIGNALS.getAndSet(this, null));
        while (s != null) {
            SystemSignal rest = s.next;
            ExitReason die = handleSignal(s);
            if (die != null) {
                terminate(die, rest);
                return false;
            }
            s = rest;
        }
        return true;
    }

    private static SystemSignal reverse(SystemSignal s) {
        SystemSignal reversed = null;
        while (s != null && s != SystemSignal.CLOSED) {
            SystemSignal next = s.next;
            s.next = reversed;
            reversed = s;
            s = next;
        }
        return reversed;
    }

    /** Handles one signal while alive; returns the reason to die with, or null to go on. */
    private ExitReason handleSignal(SystemSignal s) {
        switch (s.kind) {
            case SystemSignal.LINK -> extras().links().add(s.from);
            case SystemSignal.UNLINK -> {
                Extras x = extras;
                if (x != null && x.links != null) {
                    x.links.remove(s.from);
                }
            }
            case SystemSignal.EXIT_LINK -> {
                Extras x = extras;
                if (x == null || x.links == null || !x.links.remove(s.from)) {
                    return null; // unlinked meanwhile: the signal no longer applies
                }
                return onExitSignal(s.from, s.reason, false);
            }
            case SystemSignal.EXIT_DIRECT -> {
                return onExitSignal(s.from, s.reason, true);
            }
            case SystemSignal.MONITOR -> extras().monitoredBy().put((MonitorRef) s.ref, s.watcher);
            case SystemSignal.DEMONITOR -> {
                Extras x = extras;
                if (x != null && x.monitoredBy != null) {
                    x.monitoredBy.remove((MonitorRef) s.ref);
                }
            }
            case SystemSignal.DESCRIBE -> s.watcher.deliver(describe());
            default -> throw new IllegalStateException("unknown signal " + s.kind);
        }
        return null;
    }

    /** The current behaviour's description of the state, asked on this process's turn; never throws. */
    private StateRequest.Answer describe() {
        try {
            var description = behavior instanceof Behavior.Receive<M> r && r.description != null
                    ? r.description.get() : null;
            return new StateRequest.Answer(description, null);
        } catch (Throwable t) {
            return new StateRequest.Answer(null, t);
        }
    }

    /** OTP's rules for a received exit signal. */
    private ExitReason onExitSignal(Cell<?> from, ExitReason reason, boolean direct) {
        if (direct && reason instanceof ExitReason.Kill) {
            return ExitReason.KILLED;
        }
        Extras x = extras;
        if (x != null && x.trapExits) {
            enqueueOwn(new Signal.Exit(from, reason));
            return null;
        }
        if (!reason.isAbnormal()) {
            return direct && from == this ? ExitReason.NORMAL : null;
        }
        return reason;
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
                node.crashes.report(this, null, error);
                terminate(ExitReason.crash(error), null);
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
    @SuppressWarnings("unchecked")
    private void terminate(ExitReason reason, SystemSignal unhandled) {
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
        SystemSignal pending = reverse((SystemSignal) SIGNALS.getAndSet(this, SystemSignal.CLOSED));
        answerAsDead(unhandled, reason);
        answerAsDead(pending, reason);
        x = extras;
        if (x != null) {
            Set<Cell<?>> links = x.links;
            if (links != null) {
                for (Cell<?> linked : links) {
                    linked.pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, this, reason, null));
                }
            }
            Map<MonitorRef, Receiver> watchers = x.monitoredBy;
            if (watchers != null) {
                for (Map.Entry<MonitorRef, Receiver> e : watchers.entrySet()) {
                    try {
                        e.getValue().deliver(new Signal.Down(e.getKey(), this, reason));
                    } catch (Throwable t) {
                        // a watcher that fails must not keep the others from their DOWN, nor end this thread
                        LOG.warn("a watcher of {} failed on its DOWN", this, t);
                    }
                }
            }
            Map<MonitorRef, Pid<?>> monitoring = x.monitoring;
            if (monitoring != null) {
                for (Map.Entry<MonitorRef, Pid<?>> e : monitoring.entrySet()) {
                    if (e.getValue() instanceof Cell<?> target) {
                        target.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, this, null, e.getKey()));
                    }
                }
            }
        }
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
        // Let the queued messages go: senders have seen EXITING or DEAD and dropped theirs since.
        MailNode t = tail;
        HEAD.setOpaque(this, t);
        t.message = null;
        this.next = null;
        if (x != null) {
            x.deferred = null;
            x.replay = null;
        }
    }

    /** Answers the signals that reached this process as it ended. */
    private void answerAsDead(SystemSignal s, ExitReason reason) {
        for (; s != null; s = s.next) {
            switch (s.kind) {
                case SystemSignal.LINK -> s.from.pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, this, reason, null));
                case SystemSignal.UNLINK -> {
                    Extras x = extras;
                    if (x != null && x.links != null) {
                        x.links.remove(s.from);
                    }
                }
                case SystemSignal.MONITOR -> s.watcher.deliver(new Signal.Down((MonitorRef) s.ref, this, reason));
                case SystemSignal.DEMONITOR -> {
                    Extras x = extras;
                    if (x != null && x.monitoredBy != null) {
                        x.monitoredBy.remove((MonitorRef) s.ref);
                    }
                }
                case SystemSignal.DESCRIBE -> s.watcher.deliver(new Signal.Down(null, this, reason));
                default -> { } // exits to a process that is already ending change nothing
            }
        }
    }

    // ---------------------------------------------------------------- context

    private Extras extras() {
        Extras x = extras;
        if (x == null) {
            x = new Extras(false);
            if (!EXTRAS.compareAndSet(this, null, x)) {
                x = extras; // the registry named this process from another thread meanwhile
            }
        }
        return x;
    }

    @Override
    public Pid<M> self() {
        return this;
    }

    @Override
    public Node node() {
        return node;
    }

    @Override
    public Optional<Pid<?>> parent() {
        return Optional.ofNullable(parent);
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
    public void link(Pid<?> other) {
        if (other == this) {
            return;
        }
        Set<Cell<?>> links = extras().links();
        if (!(other instanceof Cell<?> cell)) {
            throw new IllegalArgumentException("not a process pid: " + other);
        }
        if (links.contains(cell)) {
            return;
        }
        links.add(cell);
        if (!cell.pushSignal(new SystemSignal(SystemSignal.LINK, this, null, null))) {
            pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, cell, ExitReason.NOPROC, null));
        }
    }

    @Override
    public void unlink(Pid<?> other) {
        Extras x = extras;
        if (x != null && x.links != null && other instanceof Cell<?> cell && x.links.remove(cell)) {
            cell.pushSignal(new SystemSignal(SystemSignal.UNLINK, this, null, null));
        }
    }

    @Override
    public MonitorRef monitor(Pid<?> target) {
        MonitorRef ref = node.newRef();
        extras().monitoring().put(ref, target);
        if (!(target instanceof Cell<?> cell) || !cell.pushSignal(SystemSignal.monitor(ref, this))) {
            enqueueOwn(new Signal.Down(ref, target, ExitReason.NOPROC));
        }
        return ref;
    }

    @Override
    public void demonitor(MonitorRef ref) {
        Extras x = extras;
        if (x == null || x.monitoring == null) {
            return;
        }
        Pid<?> target = x.monitoring.remove(ref);
        if (target instanceof Cell<?> cell) {
            cell.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, this, null, ref));
        }
    }

    @Override
    public void trapExits(boolean trap) {
        extras().trapExits = trap;
    }

    @Override
    public void exit(Pid<?> target, ExitReason reason) {
        Objects.requireNonNull(reason, "reason");
        if (target instanceof Cell<?> cell) {
            cell.pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, this, reason, null));
        }
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
    public long id() {
        return id;
    }

    @Override
    public boolean isAlive() {
        return state < EXITING;
    }

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
    public String status() {
        return switch (state) {
            case WAITING -> "waiting";
            case RUNNABLE -> "runnable";
            case RUNNING -> "running";
            case EXITING -> "exiting";
            default -> "dead";
        };
    }

    @Override
    public int mailboxDepth() {
        Extras x = extras;
        int deferred = x == null ? 0 : x.deferredCount();
        if (x != null && x.queued != null) {
            return Math.max(0, x.queued.get()) + deferred;
        }
        int n = 0;
        MailNode h = (MailNode) HEAD.getOpaque(this);
        for (MailNode p = h.next; p != null && n < Integer.MAX_VALUE - deferred; p = p.next) {
            n++;
        }
        return n + deferred;
    }

    @Override
    public long reductions() {
        return (long) REDUCTIONS.getOpaque(this);
    }

    @Override
    public Pid<?> parentPid() {
        return parent;
    }

    boolean trapsExits() {
        Extras x = extras;
        return x != null && x.trapExits;
    }

    List<Pid<?>> linksSnapshot() {
        Extras x = extras;
        return x == null || x.links == null ? List.of() : List.copyOf(x.links);
    }

    List<Pid<?>> monitorsSnapshot() {
        Extras x = extras;
        return x == null || x.monitoring == null ? List.of() : new ArrayList<>(x.monitoring.values());
    }

    /** Watchers of this process; a call that has its answer is over even before its demonitor arrives. */
    List<Receiver> monitoredBySnapshot() {
        Extras x = extras;
        if (x == null || x.monitoredBy == null) {
            return List.of();
        }
        List<Receiver> watchers = new ArrayList<>();
        for (Receiver r : x.monitoredBy.values()) {
            if (!(r instanceof CallReply<?> call && call.isDone())) {
                watchers.add(r);
            }
        }
        return watchers;
    }

    @Override
    public String toString() {
        return node.formatPid(id);
    }
}
