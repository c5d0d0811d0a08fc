package io.mailroom.counter;

import io.mailroom.config.MailroomProperties;
import io.mailroom.config.ServiceTree;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessExitException;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import io.mailroom.web.ApiException;
import io.mailroom.web.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Counters for the REST API: every operation is a {@link Node#call} to the counter's process,
 * bounded by {@code mailroom.counters.call-timeout}. A counter that is restarting at that moment
 * is waited for within the same bound; one that does not answer in time is a 503.
 */
@Service
public class CounterService {
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Node node;
    private final CounterCatalog catalog;
    private final ServiceTree tree;
    private final Duration timeout;

    public CounterService(Node node, CounterCatalog catalog, ServiceTree tree, MailroomProperties properties) {
        this.node = node;
        this.catalog = catalog;
        this.tree = tree;
        this.timeout = properties.counters().callTimeout();
    }

    public CounterView create(String name, long initial) {
        requireName(name);
        CounterCatalog.Entry entry = catalog.add(name, initial)
                .orElseThrow(() -> ApiException.conflict("counter " + name + " already exists"));
        Pid<Supervisor.Msg> supervisor = tree.supervisor(ServiceTree.COUNTERS).orElse(null);
        StartResult result = supervisor == null ? null
                : await(Supervisor.startChild(node, supervisor, entry.childSpec(), timeout), deadline());
        if (!(result instanceof StartResult.Started || result instanceof StartResult.AlreadyStarted)) {
            catalog.remove(entry);
            throw ApiException.unavailable("counter " + name + " could not be started: " + result);
        }
        return new CounterView(name, initial, entry.restarts());
    }

    /** Every counter, sorted by name; the calls go out together and are awaited together. */
    public List<CounterView> list() {
        List<CounterCatalog.Entry> entries = catalog.all();
        long deadline = deadline();
        List<CompletableFuture<Counter.Reply>> replies = new ArrayList<>(entries.size());
        for (CounterCatalog.Entry e : entries) {
            replies.add(node.<Counter.Msg>whereis(CounterCatalog.processName(e.name()))
                    .map(pid -> node.<Counter.Msg, Counter.Reply>call(pid, Counter.Get::new, timeout))
                    .orElse(null));
        }
        List<CounterView> views = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            CounterCatalog.Entry e = entries.get(i);
            Counter.Reply reply = replies.get(i) == null ? null : await(replies.get(i), deadline);
            try {
                if (reply == null) {
                    reply = call(e, Counter.Get::new); // restarting just now: wait for it
                }
            } catch (ApiException notFound) {
                if (notFound.status() == HttpStatus.NOT_FOUND) {
                    continue; // deleted meanwhile
                }
                throw notFound;
            }
            views.add(view(e, reply));
        }
        return views;
    }

    public CounterView get(String name) {
        CounterCatalog.Entry e = entry(name);
        return view(e, call(e, Counter.Get::new));
    }

    public CounterView increment(String name, long by) {
        CounterCatalog.Entry e = entry(name);
        return view(e, call(e, reply -> new Counter.Increment(by, reply)));
    }

    public CounterView decrement(String name, long by) {
        CounterCatalog.Entry e = entry(name);
        return view(e, call(e, reply -> new Counter.Decrement(by, reply)));
    }

    /** Makes the counter's process crash; its supervisor restarts it. */
    public void crash(String name) {
        CounterCatalog.Entry e = entry(name);
        pid(e, deadline()).send(new Counter.Crash());
    }

    public void delete(String name) {
        CounterCatalog.Entry e = entry(name);
        if (!catalog.remove(e)) {
            throw ApiException.notFound("no counter named " + name);
        }
        long deadline = deadline();
        Pid<Supervisor.Msg> supervisor = tree.supervisor(ServiceTree.COUNTERS)
                .orElseThrow(() -> ApiException.unavailable("the counters supervisor is restarting"));
        while (true) {
            Optional<Pid<Counter.Msg>> pid = node.whereis(CounterCatalog.processName(name));
            if (pid.isPresent() && Boolean.TRUE.equals(
                    await(Supervisor.terminateChild(node, supervisor, pid.get(), timeout), deadline))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw ApiException.unavailable("counter " + name + " could not be stopped in time");
            }
            LockSupport.parkNanos(RETRY_PAUSE_NANOS);
        }
    }

    // ----------------------------------------------------------------

    private static void requireName(String name) {
        if (!Names.isRoomName(name)) {
            throw ApiException.badRequest("name must match ^[a-z0-9][a-z0-9_-]{0,31}$");
        }
    }

    private CounterCatalog.Entry entry(String name) {
        return catalog.get(name).orElseThrow(() -> ApiException.notFound("no counter named " + name));
    }

    private CounterView view(CounterCatalog.Entry e, Counter.Reply reply) {
        return switch (reply) {
            case Counter.Value(var value) -> new CounterView(e.name(), value, e.restarts());
            case Counter.Overflow(var value) -> throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT,
                    "the result would overflow a 64-bit integer; the value stays " + value);
        };
    }

    private long deadline() {
        return System.nanoTime() + timeout.toNanos();
    }

    /** Calls the counter; if it dies or is being restarted, tries its next incarnation until the deadline. */
    private Counter.Reply call(CounterCatalog.Entry e, Function<Pid<Counter.Reply>, Counter.Msg> request) {
        long deadline = deadline();
        while (true) {
            Pid<Counter.Msg> pid = pid(e, deadline);
            try {
                return node.call(pid, request, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
                        .get(Math.max(1, deadline - System.nanoTime()) + RETRY_PAUSE_NANOS, TimeUnit.NANOSECONDS);
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof ProcessExitException) || System.nanoTime() > deadline) {
                    throw ApiException.unavailable("counter " + e.name() + " did not answer in time");
                }
            } catch (TimeoutException ex) {
                throw ApiException.unavailable("counter " + e.name() + " did not answer in time");
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw ApiException.unavailable("interrupted");
            }
        }
    }

    /** The counter's live process, waiting (within the deadline) while it is being restarted. */
    private Pid<Counter.Msg> pid(CounterCatalog.Entry e, long deadline) {
        while (true) {
            Optional<Pid<Counter.Msg>> pid = node.whereis(CounterCatalog.processName(e.name()));
            if (pid.isPresent()) {
                return pid.get();
            }
            if (catalog.get(e.name()).orElse(null) != e) {
                throw ApiException.notFound("no counter named " + e.name());
            }
            if (System.nanoTime() > deadline) {
                throw ApiException.unavailable("counter " + e.name() + " is not running");
            }
            LockSupport.parkNanos(RETRY_PAUSE_NANOS);
        }
    }

    private static <T> T await(CompletableFuture<T> future, long deadline) {
        try {
            return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            if (e.getCause() instanceof ApiException api) {
                throw api;
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
