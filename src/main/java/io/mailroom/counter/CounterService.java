package io.mailroom.counter;

import io.mailroom.config.CounterProperties;
import io.mailroom.counter.CounterException.Kind;
import io.mailroom.names.Names;
import io.mailroom.names.SupervisorNames;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessExitException;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.springframework.stereotype.Service;

/**
 * Counters: every operation is a {@link Node#call} to the counter's process, bounded by
 * {@code mailroom.counters.call-timeout}. A counter that is restarting at that moment is waited for
 * within the same bound, on a future its next incarnation completes as it starts (no polling);
 * one that does not answer in time is {@link Kind#UNAVAILABLE}. Failures are
 * {@link CounterException}s: what they mean over HTTP is the web layer's business.
 *
 * <p>Each public method waits once, for one future, with the deadline: the retries after a crash
 * are chained on that future, on whichever thread completed the step before (a scheduler's or the
 * timer's: every step only sends).
 */
@Service
public class CounterService {
    /** Beyond the deadline, what the future's own timeouts may take to be reported. */
    private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Node node;
    private final CounterCatalog catalog;
    private final Duration timeout;

    public CounterService(Node node, CounterCatalog catalog, CounterProperties properties) {
        this.node = node;
        this.catalog = catalog;
        this.timeout = properties.callTimeout();
    }

    public CounterView create(String name, long initial) {
        requireName(name);
        CounterCatalog.Entry entry = catalog.add(name, initial)
                .orElseThrow(() -> new CounterException(Kind.ALREADY_EXISTS, "counter " + name + " already exists"));
        Pid<Supervisor.Msg> supervisor = node.<Supervisor.Msg>whereis(SupervisorNames.COUNTERS).orElse(null);
        StartResult result = null;
        if (supervisor != null) {
            try {
                result = await(Supervisor.startChild(node, supervisor, entry.childSpec(), timeout), deadline());
            } catch (TimeoutException | CounterException e) {
                result = null;
            }
        }
        if (!(result instanceof StartResult.Started || result instanceof StartResult.AlreadyStarted)) {
            catalog.remove(entry);
            throw CounterException.unavailable("counter " + name + " could not be started: " + result);
        }
        return new CounterView(name, initial, entry.restarts());
    }

    /** Every counter, sorted by name; the calls go out together and are awaited together. */
    public List<CounterView> list() {
        List<CounterCatalog.Entry> entries = catalog.all();
        long deadline = deadline();
        List<CompletableFuture<Counter.Reply>> replies = new ArrayList<>(entries.size());
        for (CounterCatalog.Entry e : entries) {
            replies.add(call(e, Counter.Get::new, deadline));
        }
        List<CounterView> views = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            CounterCatalog.Entry e = entries.get(i);
            try {
                views.add(view(e, answer(e, replies.get(i), deadline)));
            } catch (CounterException notFound) {
                if (notFound.kind() != Kind.NOT_FOUND) {
                    throw notFound;
                } // deleted meanwhile: not in the list
            }
        }
        return views;
    }

    public CounterView get(String name) {
        CounterCatalog.Entry e = entry(name);
        long deadline = deadline();
        return view(e, answer(e, call(e, Counter.Get::new, deadline), deadline));
    }

    public CounterView increment(String name, long by) {
        CounterCatalog.Entry e = entry(name);
        long deadline = deadline();
        return view(e, answer(e, call(e, reply -> new Counter.Increment(by, reply), deadline), deadline));
    }

    public CounterView decrement(String name, long by) {
        CounterCatalog.Entry e = entry(name);
        long deadline = deadline();
        return view(e, answer(e, call(e, reply -> new Counter.Decrement(by, reply), deadline), deadline));
    }

    /** Makes the counter's process crash; its supervisor restarts it. */
    public void crash(String name) {
        CounterCatalog.Entry e = entry(name);
        long deadline = deadline();
        try {
            await(live(e), deadline).send(new Counter.Crash());
        } catch (TimeoutException t) {
            throw CounterException.unavailable("counter " + name + " is not running");
        }
    }

    public void delete(String name) {
        CounterCatalog.Entry e = entry(name);
        if (!catalog.remove(e)) {
            throw CounterException.notFound(name);
        }
        long deadline = deadline();
        Pid<Supervisor.Msg> supervisor = node.<Supervisor.Msg>whereis(SupervisorNames.COUNTERS)
                .orElseThrow(() -> CounterException.unavailable("the counters supervisor is restarting"));
        CompletableFuture<Void> stopped = stop(e, supervisor, deadline).exceptionallyCompose(failure ->
                CompletableFuture.failedFuture(unwrap(failure) instanceof CounterException c ? c
                        : CounterException.unavailable("counter " + name + " could not be stopped in time")));
        stopped.whenComplete((done, failure) -> e.removed());
        try {
            await(stopped, deadline);
        } catch (TimeoutException t) {
            throw CounterException.unavailable("counter " + name + " could not be stopped in time");
        }
    }

    // ----------------------------------------------------------------

    private static void requireName(String name) {
        if (!Names.isRoomName(name)) {
            throw new CounterException(Kind.INVALID_NAME, "name must match ^[a-z0-9][a-z0-9_-]{0,31}$");
        }
    }

    private CounterCatalog.Entry entry(String name) {
        return catalog.get(name).orElseThrow(() -> CounterException.notFound(name));
    }

    private static CounterView view(CounterCatalog.Entry e, Counter.Reply reply) {
        return switch (reply) {
            case Counter.Value(var value) -> new CounterView(e.name(), value, e.restarts());
            case Counter.Overflow(var value) -> throw new CounterException(Kind.OVERFLOW,
                    "the result would overflow a 64-bit integer; the value stays " + value);
        };
    }

    private long deadline() {
        return System.nanoTime() + timeout.toNanos();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    /** The counter's live process: the latest one if it is alive, else the next one once it has started. */
    private static CompletableFuture<Pid<Counter.Msg>> live(CounterCatalog.Entry e) {
        return e.current().thenCompose(pid -> pid.isAlive() ? CompletableFuture.completedFuture(pid) : e.after(pid));
    }

    /**
     * Calls the counter; if the process it reached dies first (a crash, a restart of its
     * supervisor), calls the next incarnation, until the deadline.
     */
    private CompletableFuture<Counter.Reply> call(CounterCatalog.Entry e,
                                                  Function<Pid<Counter.Reply>, Counter.Msg> request, long deadline) {
        return live(e).thenCompose(pid -> node.<Counter.Msg, Counter.Reply>call(pid, request, remaining(deadline))
                .handle((reply, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(reply);
                    }
                    if (unwrap(failure) instanceof ProcessExitException && System.nanoTime() < deadline) {
                        return e.after(pid).thenCompose(next -> call(e, request, deadline));
                    }
                    return CompletableFuture.<Counter.Reply>failedFuture(
                            CounterException.unavailable("counter " + e.name() + " did not answer in time"));
                })
                .thenCompose(Function.identity()));
    }

    /** The counter's reply, or why there is none. */
    private Counter.Reply answer(CounterCatalog.Entry e, CompletableFuture<Counter.Reply> reply, long deadline) {
        try {
            return await(reply, deadline);
        } catch (TimeoutException t) {
            // still waiting for a process to start, or for the one it reached to answer
            throw CounterException.unavailable(node.whereis(CounterCatalog.processName(e.name())).isPresent()
                    ? "counter " + e.name() + " did not answer in time" : "counter " + e.name() + " is not running");
        }
    }

    /** Terminates the counter's live process; if it died meanwhile (and is restarted), the next one. */
    private CompletableFuture<Void> stop(CounterCatalog.Entry e, Pid<Supervisor.Msg> supervisor, long deadline) {
        return live(e).thenCompose(pid -> Supervisor.terminateChild(node, supervisor, pid, remaining(deadline))
                .thenCompose(terminated -> {
                    if (Boolean.TRUE.equals(terminated)) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (!pid.isAlive() && System.nanoTime() < deadline) {
                        return stop(e, supervisor, deadline); // not its child any more: it ended first
                    }
                    return CompletableFuture.<Void>failedFuture(
                            CounterException.unavailable("counter " + e.name() + " could not be stopped in time"));
                }));
    }

    /**
     * Waits for {@code future} until the deadline; a {@link CounterException} it failed with is
     * thrown as it is, any other failure as {@link Kind#UNAVAILABLE}.
     */
    private static <T> T await(CompletableFuture<T> future, long deadline) throws TimeoutException {
        try {
            return future.get(Math.max(1, deadline - System.nanoTime()) + SLACK_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (unwrap(e) instanceof CounterException failure) {
                throw failure;
            }
            throw CounterException.unavailable(String.valueOf(unwrap(e).getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CounterException.unavailable("interrupted");
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
