package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running instance of the process runtime: its schedulers, process table, name registry and
 * timers. Everything here is thread-safe and non-blocking unless it says otherwise, and may be
 * called from any thread, inside or outside a process.
 *
 * <pre>{@code
 * try (Node node = Node.start()) {
 *     Pid<Counter.Msg> counter = node.spawn(Counter.counting(0));
 *     counter.send(new Counter.Increment(5));
 *     long value = node.<Counter.Msg, Long>call(counter, Counter.Get::new, Duration.ofSeconds(1)).join();
 * }
 * }</pre>
 */
public final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    private static final Pattern PID = Pattern.compile("(?:#PID)?<0\\.(\\d{1,18})\\.0>");
    private static final String[] EXIT_LABELS = {"normal", "shutdown", "crash", "killed", "noproc", "other"};

    final Scheduler scheduler;
    final Timers timers;
    final ProcessTable table = new ProcessTable();
    final Registry registry = new Registry();
    final CrashReporter crashes;
    private final NodeConfig config;
    private final AtomicLong serials = new AtomicLong();
    private final AtomicLong refs = new AtomicLong();
    private final LongAdder spawned = new LongAdder();
    private final LongAdder externalSent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder[] exits = new LongAdder[EXIT_LABELS.length];
    private final AtomicBoolean stopped = new AtomicBoolean();
    /**
     * Processes being traced now: 0 nearly always, and then the one thing a process checks per
     * message for tracing (read-mostly, so every core keeps it in cache).
     */
    volatile int tracing;
    private static final VarHandle TRACING;

    static {
        try {
            TRACING = MethodHandles.lookup().findVarHandle(Node.class, "tracing", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Node(NodeConfig config) {
        this.config = config;
        this.crashes = new CrashReporter(config.crashReportsPerSecond());
        this.scheduler = new Scheduler(config);
        this.timers = new Timers(config.timerTick().toNanos(), config.threadPrefix() + "-timers", config.clock());
        for (int i = 0; i < exits.length; i++) {
            exits[i] = new LongAdder();
        }
    }

    /** Starts a node with the default configuration. */
    public static Node start() {
        return start(NodeConfig.defaults());
    }

    /** Starts a node: its scheduler threads and timer thread are running when this returns. */
    public static Node start(NodeConfig config) {
        Node node = new Node(Objects.requireNonNull(config, "config"));
        node.timers.start(node.scheduler);
        node.scheduler.start(config.threadPrefix());
        return node;
    }

    public NodeConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- processes

    /** Spawns a process with default options. */
    public <M> Pid<M> spawn(Behavior<M> behavior) {
        return spawn(behavior, SpawnOptions.DEFAULT);
    }

    /**
     * Spawns a process running {@code behavior}. A setup behaviour runs before this returns, as the
     * new process's first turn (as {@code proc_lib:start_link} waits for {@code init}); if it throws,
     * the process ends with a crash and its links and monitors are told, as for any crash. With a name in {@code options}, the process is registered before this
     * returns; a taken name throws {@link NameTakenException} and nothing is spawned.
     *
     * @throws IllegalStateException if the node is shut down
     */
    public <M> Pid<M> spawn(Behavior<M> behavior, SpawnOptions options) {
        Cell<M> cell = newCell(behavior, options, null);
        cell.start();
        return cell;
    }

    <M> Cell<M> newCell(Behavior<M> behavior, SpawnOptions options, Cell<?> parent) {
        Objects.requireNonNull(behavior, "behavior");
        Objects.requireNonNull(options, "options");
        if (behavior instanceof Behavior.Special<M>) {
            throw new IllegalArgumentException("cannot spawn " + behavior + ": it is an answer, not a behaviour");
        }
        if (stopped.get()) {
            throw new IllegalStateException("node is shut down");
        }
        Cell<M> cell = new Cell<>(this, serials.incrementAndGet(), options, behavior, parent);
        if (options.name() != null) {
            registry.register(options.name(), cell);
        }
        table.add(cell);
        spawned.increment();
        if (stopped.get()) {
            // Shutdown began after the check above, and its kill of every process in the table
            // may have passed this one's stripe before the add: kill it here instead.
            cell.pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, null, ExitReason.KILL, null));
        }
        return cell;
    }

    /**
     * Sends an exit signal to {@code pid}, as Erlang's {@code exit(Pid, Reason)} from outside any
     * process: {@link ExitReason#KILL} kills unconditionally (reason {@code killed}); {@code normal}
     * is ignored unless the target traps exits; any other reason kills a process that does not
     * trap exits and arrives as {@link Signal.Exit} at one that does. A dead pid is ignored.
     */
    public void exit(Pid<?> pid, ExitReason reason) {
        Objects.requireNonNull(reason, "reason");
        if (pid instanceof Cell<?> cell) {
            cell.pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, null, reason, null));
        }
    }

    /** Sends {@code message} to {@code pid}; same as {@code pid.send(message)}. */
    public <M> void send(Pid<M> pid, M message) {
        pid.send(message);
    }

    /** Sends to the process registered as {@code name}; false (message dropped) if none is. */
    @SuppressWarnings("unchecked")
    public <M> boolean send(String name, M message) {
        Cell<?> cell = registry.whereis(name);
        if (cell == null) {
            countDropped();
            return false;
        }
        ((Cell<M>) cell).send(message);
        return true;
    }

    /**
     * Request and reply from code outside the runtime (Elixir's {@code GenServer.call}): builds the
     * request with a fresh reply pid, sends it, and completes the future with the first reply. The
     * future fails with {@link java.util.concurrent.TimeoutException} after {@code timeout} (a later
     * reply is dropped), or with {@link ProcessExitException} if the process is dead or dies first.
     * Never blocks the caller; {@code join()} on the future does.
     */
    public <M, R> CompletableFuture<R> call(Pid<M> pid, Function<Pid<R>, ? extends M> request, Duration timeout) {
        CallReply<R> reply = new CallReply<>(this, serials.incrementAndGet());
        if (!(pid instanceof Cell<M> cell)) {
            reply.completeExceptionally(new IllegalArgumentException("not a process pid: " + pid));
            return reply;
        }
        M message;
        try {
            message = request.apply(reply);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
            return reply;
        }
        reply.callee = cell;
        reply.monitor = newRef();
        // The timer before the monitor: a callee that dies the moment it is monitored sends its
        // Down at once, and that Down must find the timer to cancel (the monitor's push publishes it).
        reply.timer = timers.schedule(reply, CallReply.CallTimeout.INSTANCE, timeout.toNanos());
        if (!cell.pushSignal(SystemSignal.monitor(reply.monitor, reply))) {
            reply.deliver(new Signal.Down(reply.monitor, cell, ExitReason.NOPROC));
            return reply;
        }
        if (reply.isDone()) {
            // timed out before the monitor was in place, so its demonitor may have gone first
            cell.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, null, null, reply.monitor));
        }
        cell.send(message);
        return reply;
    }

    /**
     * Asks the process for a description of its state ({@link Behavior#describedBy}), as Erlang's
     * {@code sys:get_state}: a system message the process answers itself on its next turn, between
     * two messages, so the answer is consistent. Completes with the description, or empty when the
     * current behaviour offers none; fails with {@link java.util.concurrent.TimeoutException} after
     * {@code timeout} (a process busy in a long handler, or stuck, never blocks the caller), with
     * {@link ProcessExitException} if the process is dead or ends first, or with what the
     * description threw. Never blocks.
     */
    public CompletableFuture<Optional<Map<String, ?>>> describe(Pid<?> pid, Duration timeout) {
        if (!(pid instanceof Cell<?> cell)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("not a process pid: " + pid));
        }
        StateRequest request = new StateRequest(cell);
        request.timer = timers.schedule(request, StateRequest.Timeout.INSTANCE, timeout.toNanos());
        if (!cell.pushSignal(SystemSignal.describe(request))) {
            request.deliver(new Signal.Down(null, cell, ExitReason.NOPROC));
        }
        return request;
    }

    /**
     * Traces the live process {@code pid}: {@code tracer} hears of every message it handles, and
     * of its end, until {@link #untrace}. At most one tracer per process; false if it has one
     * already, or is not alive. Processes not traced pay one field check per message.
     */
    public boolean trace(Pid<?> pid, Tracer tracer) {
        Objects.requireNonNull(tracer, "tracer");
        return pid instanceof Cell<?> cell && cell.trace(tracer);
    }

    /** Stops {@code tracer} tracing {@code pid}; false if it was not (any more) its tracer. */
    public boolean untrace(Pid<?> pid, Tracer tracer) {
        return pid instanceof Cell<?> cell && cell.untrace(tracer);
    }

    void tracingStarted() {
        TRACING.getAndAdd(this, 1);
    }

    void tracingStopped() {
        TRACING.getAndAdd(this, -1);
    }

    /**
     * A future that completes with the exit reason of {@code pid} when it ends ({@code noproc} if
     * it is not alive now): a monitor for code outside the runtime. Never blocks.
     */
    public CompletableFuture<ExitReason> whenExited(Pid<?> pid) {
        CompletableFuture<ExitReason> future = new CompletableFuture<>();
        Receiver watcher = message -> {
            if (message instanceof Signal.Down down) {
                future.complete(down.reason());
            }
        };
        MonitorRef ref = newRef();
        if (!(pid instanceof Cell<?> cell) || !cell.pushSignal(SystemSignal.monitor(ref, watcher))) {
            future.complete(ExitReason.NOPROC);
        }
        return future;
    }

    /** Sends {@code message} to {@code target} after {@code delay}, unless cancelled first. */
    @SuppressWarnings("unchecked")
    public <T> TimerRef sendAfter(Pid<T> target, T message, Duration delay) {
        Objects.requireNonNull(message, "message");
        Receiver receiver = target instanceof Receiver r ? r : m -> target.send((T) m);
        return timers.schedule(receiver, message, delay.toNanos());
    }

    // ---------------------------------------------------------------- names

    /**
     * Registers {@code pid} under {@code name}, unique on this node until the process ends or
     * {@link #unregister} is called.
     *
     * @throws NameTakenException if a live process holds the name
     * @throws IllegalStateException if the process is dead or already has a name
     */
    public void register(String name, Pid<?> pid) {
        if (!(pid instanceof Cell<?> cell)) {
            throw new IllegalArgumentException("not a process pid: " + pid);
        }
        registry.register(name, cell);
    }

    /** Frees {@code name}; the process keeps running. */
    public void unregister(String name) {
        Cell<?> cell = registry.whereis(name);
        if (cell != null) {
            registry.unregister(name, cell);
            cell.named(null);
        }
    }

    /** The live process registered as {@code name}. The caller vouches for the message type. */
    @SuppressWarnings("unchecked")
    public <M> Optional<Pid<M>> whereis(String name) {
        return Optional.ofNullable((Pid<M>) registry.whereis(name));
    }

    /** Every registered name and its pid, a snapshot. */
    public Map<String, Pid<?>> registered() {
        return Map.copyOf(registry.snapshot());
    }

    // ---------------------------------------------------------------- introspection

    /** How this node prints the pid with serial {@code id} ({@link NodeConfig#pidStyle()}). */
    String formatPid(long id) {
        return config.pidStyle().format(id);
    }

    /** The live process with this pid string ({@code <0.N.0>}, or IEx's {@code #PID<0.N.0>}), if any. */
    public Optional<Pid<?>> pid(String text) {
        Matcher m = PID.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        Cell<?> cell = table.get(Long.parseLong(m.group(1)));
        return Optional.ofNullable(cell != null && cell.isAlive() ? cell : null);
    }

    /** A snapshot of one live process, with its links and monitors. */
    public Optional<ProcessInfo> info(Pid<?> pid) {
        if (!(pid instanceof Cell<?> cell) || !cell.isAlive()) {
            return Optional.empty();
        }
        Pid<?> parent = cell.parentPid();
        return Optional.of(new ProcessInfo(cell.toString(), cell.registeredName(), cell.type(), cell.status(),
                cell.mailboxDepth(), cell.reductions(), parent == null ? null : parent.toString(), cell.trapsExits(),
                strings(cell.linksSnapshot()), strings(cell.monitorsSnapshot()), strings(cell.monitoredBySnapshot())));
    }

    private static List<String> strings(List<?> items) {
        List<String> out = new ArrayList<>(items.size());
        for (Object o : items) {
            out.add(String.valueOf(o));
        }
        out.sort(null);
        return out;
    }

    /**
     * Visits every live process with a read-only view, without copying the table: the way to
     * compute top-N lists and per-type sums over millions of processes. The visitor runs on the
     * calling thread; it must be quick and must not spawn or stop processes.
     */
    public void forEachProcess(Consumer<ProcessView> visitor) {
        table.forEach(cell -> {
            if (cell.isAlive()) {
                visitor.accept(cell);
            }
        });
    }

    /** Processes alive now. */
    public int processCount() {
        return table.size();
    }

    public NodeStats stats() {
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (int i = 0; i < EXIT_LABELS.length; i++) {
            byReason.put(EXIT_LABELS[i], exits[i].sum());
        }
        return new NodeStats(table.size(), spawned.sum(), byReason, scheduler.messagesSent() + externalSent.sum(),
                dropped.sum(), timers.pendingCount(), registry.size());
    }

    /** One entry per scheduler thread. */
    public List<SchedulerStats> schedulerStats() {
        return scheduler.stats();
    }

    /** Processes waiting in the queue shared by all schedulers (woken from outside the runtime). */
    public int sharedRunQueue() {
        return scheduler.sharedQueueLength();
    }

    /** Whether every scheduler thread is alive (false after shutdown, or if one died). */
    public boolean schedulersAlive() {
        for (Worker w : scheduler.workers) {
            if (w.thread == null || !w.thread.isAlive()) {
                return false;
            }
        }
        return !stopped.get();
    }

    /**
     * Whether the timer thread is alive (false after shutdown, or if it died). A timer whose
     * delivery throws does not end it: see {@link #timerErrors()}.
     */
    public boolean timersAlive() {
        return timers.isAlive() && !stopped.get();
    }

    /** Timer deliveries that threw (and were reported) since the node started. */
    public long timerErrors() {
        return timers.errorCount();
    }

    public boolean isShutdown() {
        return stopped.get();
    }

    // ---------------------------------------------------------------- counting

    MonitorRef newRef() {
        return new MonitorRef(refs.incrementAndGet());
    }

    /** Counts a send; {@code local} is the sending thread's worker ({@link Scheduler#localWorker()}), or null. */
    void countSent(Worker local) {
        if (local != null) {
            local.countSent();
        } else {
            externalSent.increment();
        }
    }

    void countDropped() {
        dropped.increment();
    }

    void countExit(ExitReason reason) {
        int i = switch (reason) {
            case ExitReason.Normal n -> 0;
            case ExitReason.Shutdown s -> 1;
            case ExitReason.Crash c -> 2;
            case ExitReason.Killed k -> 3;
            case ExitReason.Kill k -> 3;
            case ExitReason.NoProc n -> 4;
            case ExitReason.Other o -> 5;
        };
        exits[i].increment();
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Stops every process (exit signal {@code kill}: no process can refuse), waits up to
     * {@code timeout} for them to end, then stops and joins the scheduler and timer threads. A
     * handler still running at the deadline is abandoned (its thread is interrupted). Idempotent.
     */
    public void shutdown(Duration timeout) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        table.forEach(cell -> cell.pushSignal(new SystemSignal(SystemSignal.EXIT_DIRECT, null, ExitReason.KILL, null)));
        while (table.size() > 0 && System.nanoTime() < deadline && schedulersRunning()) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (table.size() > 0) {
            LOG.warn("{} processes still running at shutdown deadline", table.size());
        }
        try {
            scheduler.shutdown(Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdown();
    }

    private boolean schedulersRunning() {
        for (Worker w : scheduler.workers) {
            if (w.thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    /** {@link #shutdown(Duration)} with 10 seconds. */
    public void shutdown() {
        shutdown(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        shutdown();
    }
}
