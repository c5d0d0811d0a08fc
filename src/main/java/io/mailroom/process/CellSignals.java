package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The middle layer of a process ({@link Cell}): system signals (link, unlink, exit, monitor,
 * demonitor, describe), which go to a lock-free stack and are handled ahead of messages; the
 * process's links, monitors and parent; OTP's rules for exit signals; and, as the process ends,
 * what it owes the processes that know it (an exit to each link, a DOWN to each watcher).
 */
abstract class CellSignals<M> extends CellMailbox<M> {

    static final Logger LOG = LoggerFactory.getLogger("io.mailroom.process");
    private static final VarHandle SIGNALS;

    static {
        try {
            SIGNALS = MethodHandles.lookup().findVarHandle(CellSignals.class, "signals", SystemSignal.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The spawning process, or null: a plain field, not in {@link Extras}, because every process a
     * process spawns has one, and a field fits in the object's alignment padding (72 bytes either
     * way) where an {@code Extras} would add 64 bytes to each child.
     */
    private final Cell<?> parent;
    private volatile SystemSignal signals;

    CellSignals(Node node, long id, SpawnOptions options, Cell<?> parent) {
        super(node, id, options);
        this.parent = parent;
    }

    /** Ends the process with {@code reason}; {@code unhandled} are signals taken but not handled. */
    abstract void terminate(ExitReason reason, SystemSignal unhandled);

    /** The current behaviour's description of its state, asked on this process's turn. */
    abstract StateRequest.Answer describe();

    /** This process as its peers see it. */
    private Cell<?> me() {
        return (Cell<?>) this;
    }

    @Override
    final boolean hasWork() {
        return signals != null || hasMessages();
    }

    final boolean hasSignals() {
        return signals != null;
    }

    /** Pushes a system signal; false if the process has ended and takes no more. */
    final boolean pushSignal(SystemSignal s) {
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

    @Override
    final void exitOnOverflow() {
        pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, null, ExitReason.of("mailbox_overflow"), null));
    }

    /** Handles pending system signals in arrival order; false if they ended the process. */
    final boolean handleSignals() {
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

    // ---------------------------------------------------------------- ending

    /**
     * Closes the signal stack, so no signal is taken any more, and tells the processes that know
     * this one that it ended: a DOWN to every watcher, then an exit signal to every link, counting
     * the signals that reached it as it ended ({@code unhandled} first: they came before the rest).
     *
     * <p>Watchers first, so that whatever a linked process does on the exit comes after the DOWN in
     * every watcher's mailbox: a supervisor restarts the process only after its exit, so a watcher
     * never hears from the successor before it hears that the process it watched is gone (a chat
     * session took a room's new process for the one it watched, and passed on a message twice).
     * Erlang orders signals only per pair of processes; this order costs nothing and keeps cause
     * before effect.
     */
    final void endSignals(SystemSignal unhandled, ExitReason reason) {
        SystemSignal pending = reverse((SystemSignal) SIGNALS.getAndSet(this, SystemSignal.CLOSED));
        answerAsDead(unhandled, reason, false);
        answerAsDead(pending, reason, false);
        tellWatchers(reason);
        answerAsDead(unhandled, reason, true);
        answerAsDead(pending, reason, true);
        tellLinks(reason);
        demonitorTargets();
    }

    private void tellWatchers(ExitReason reason) {
        Extras x = extras;
        Map<MonitorRef, Receiver> watchers = x == null ? null : x.monitoredBy;
        if (watchers != null) {
            for (Map.Entry<MonitorRef, Receiver> e : watchers.entrySet()) {
                try {
                    e.getValue().deliver(new Signal.Down(e.getKey(), me(), reason));
                } catch (Throwable t) {
                    // a watcher that fails must not keep the others from their DOWN, nor end this thread
                    LOG.warn("a watcher of {} failed on its DOWN", this, t);
                }
            }
        }
    }

    private void tellLinks(ExitReason reason) {
        Extras x = extras;
        Set<Cell<?>> links = x == null ? null : x.links;
        if (links != null) {
            for (Cell<?> linked : links) {
                linked.pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, me(), reason, null));
            }
        }
    }

    /** Removes this process's monitors from the processes it watched. */
    private void demonitorTargets() {
        Extras x = extras;
        Map<MonitorRef, Pid<?>> monitoring = x == null ? null : x.monitoring;
        if (monitoring != null) {
            for (Map.Entry<MonitorRef, Pid<?>> e : monitoring.entrySet()) {
                if (e.getValue() instanceof Cell<?> target) {
                    target.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, me(), null, e.getKey()));
                }
            }
        }
    }

    /**
     * Answers the signals that reached this process as it ended: the links among them if
     * {@code links}, else the others.
     */
    private void answerAsDead(SystemSignal s, ExitReason reason, boolean links) {
        for (; s != null; s = s.next) {
            if ((s.kind == SystemSignal.LINK) != links) {
                continue;
            }
            switch (s.kind) {
                case SystemSignal.LINK -> s.from.pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, me(), reason, null));
                case SystemSignal.UNLINK -> {
                    Extras x = extras;
                    if (x != null && x.links != null) {
                        x.links.remove(s.from);
                    }
                }
                case SystemSignal.MONITOR -> s.watcher.deliver(new Signal.Down((MonitorRef) s.ref, me(), reason));
                case SystemSignal.DEMONITOR -> {
                    Extras x = extras;
                    if (x != null && x.monitoredBy != null) {
                        x.monitoredBy.remove((MonitorRef) s.ref);
                    }
                }
                case SystemSignal.DESCRIBE -> s.watcher.deliver(new Signal.Down(null, me(), reason));
                default -> { } // exits to a process that is already ending change nothing
            }
        }
    }

    // ---------------------------------------------------------------- links and monitors (the context's)

    public Optional<Pid<?>> parent() {
        return Optional.ofNullable(parent);
    }

    public Pid<?> parentPid() {
        return parent;
    }

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
        if (!cell.pushSignal(new SystemSignal(SystemSignal.LINK, me(), null, null))) {
            pushSignal(new SystemSignal(SystemSignal.EXIT_LINK, cell, ExitReason.NOPROC, null));
        }
    }

    public void unlink(Pid<?> other) {
        Extras x = extras;
        if (x != null && x.links != null && other instanceof Cell<?> cell && x.links.remove(cell)) {
            cell.pushSignal(new SystemSignal(SystemSignal.UNLINK, me(), null, null));
        }
    }

    public MonitorRef monitor(Pid<?> target) {
        MonitorRef ref = node.newRef();
        extras().monitoring().put(ref, target);
        if (!(target instanceof Cell<?> cell) || !cell.pushSignal(SystemSignal.monitor(ref, me()))) {
            enqueueOwn(new Signal.Down(ref, target, ExitReason.NOPROC));
        }
        return ref;
    }

    public void demonitor(MonitorRef ref) {
        Extras x = extras;
        if (x == null || x.monitoring == null) {
            return;
        }
        Pid<?> target = x.monitoring.remove(ref);
        if (target instanceof Cell<?> cell) {
            cell.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, me(), null, ref));
        }
    }

    public void trapExits(boolean trap) {
        extras().trapExits = trap;
    }

    public void exit(Pid<?> target, ExitReason reason) {
        Objects.requireNonNull(reason, "reason");
        if (target instanceof Cell<?> cell) {
            cell.pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, me(), reason, null));
        }
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
}
