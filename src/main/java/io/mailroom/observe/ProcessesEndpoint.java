package io.mailroom.observe;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessExitException;
import io.mailroom.process.ProcessInfo;
import io.mailroom.process.ProcessView;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/processes} (protocol.md §4): the largest processes by mailbox or reductions, one
 * process with its links and monitors, and killing one as Erlang's {@code exit(Pid, kill)} does.
 *
 * <p>The listing visits the process table once and keeps only the top {@code limit} rows (see
 * {@link TopProcesses}): it stays fast with a million processes and allocates for at most 1,000.
 */
@Component
@Endpoint(id = "processes")
public class ProcessesEndpoint {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;
    /** How long a DELETE waits for the killed process to be gone, so a GET right after says 404. */
    static final long KILL_WAIT_MILLIS = 2000;

    private final Node node;
    private final Duration stateTimeout;

    public ProcessesEndpoint(Node node, ObserveProperties properties) {
        this.node = node;
        this.stateTimeout = properties.stateTimeout();
    }

    /**
     * @param type  only processes of this type
     * @param sort  {@code mailbox} (default) or {@code reductions}, largest first
     * @param limit rows to return, 1–1000 (default 50; larger values are capped at 1000)
     */
    @ReadOperation
    public Map<String, Object> processes(@Nullable String type, @Nullable String sort, @Nullable String limit) {
        ToLongFunction<ProcessView> key = switch (sort == null || sort.isBlank() ? "mailbox" : sort.trim()) {
            case "mailbox" -> ProcessView::mailboxDepth;
            case "reductions" -> ProcessView::reductions;
            default -> throw new InvalidEndpointRequestException("sort must be mailbox or reductions",
                    "sort must be mailbox or reductions, was " + sort);
        };
        TopProcesses top = new TopProcesses(type == null || type.isBlank() ? null : type.trim(), key, limit(limit));
        node.forEachProcess(top);
        List<TopProcesses.Row> rows = top.rows();
        List<Map<String, Object>> processes = rows.stream().map(ProcessesEndpoint::json).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", top.total());
        body.put("processes", processes);
        return body;
    }

    /**
     * One live process with its links and monitors, and its state as it describes it (asked of the
     * process itself, waiting at most {@code mailroom.observe.state-timeout}); 404 if it is dead or
     * never was.
     */
    @ReadOperation
    public WebEndpointResponse<Map<String, Object>> process(@Selector String pid) {
        Optional<Pid<?>> target = Pids.find(node, pid);
        // asked first, answered while the snapshot below is taken
        CompletableFuture<Optional<Map<String, ?>>> state = target
                .map(p -> node.describe(p, stateTimeout))
                .orElse(null);
        Optional<ProcessInfo> info = target.flatMap(node::info);
        if (info.isEmpty()) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
        }
        ProcessInfo p = info.get();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("pid", p.pid());
        body.put("name", p.name());
        body.put("type", p.type());
        body.put("status", p.status());
        body.put("mailbox", p.mailbox());
        body.put("reductions", p.reductions());
        body.put("supervisor", p.parent() == null ? null : node.pid(p.parent()).map(Pids::supervisorOf).orElse(null));
        body.put("parent", p.parent());
        body.put("trapExit", p.trapExits());
        body.put("links", p.links());
        body.put("monitors", p.monitors());
        body.put("monitoredBy", p.monitoredBy());
        putState(body, state);
        return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_OK);
    }

    /**
     * {@code "state"}: the description, or null; with null, {@code "stateError"} says why:
     * {@code timeout} (busy or stuck past the timeout), {@code not_described} (its behaviour
     * offers no description), {@code exited} (it ended first), {@code failed} (the description threw).
     */
    private void putState(Map<String, Object> body, CompletableFuture<Optional<Map<String, ?>>> state) {
        String error;
        try {
            // the runtime's own timer fails the future in time; the extra second only guards against its loss
            Optional<Map<String, ?>> description = state.get(stateTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (description.isPresent()) {
                body.put("state", description.get());
                return;
            }
            error = "not_described";
        } catch (ExecutionException e) {
            error = switch (e.getCause()) {
                case TimeoutException t -> "timeout";
                case ProcessExitException x -> "exited";
                default -> "failed";
            };
        } catch (TimeoutException e) {
            error = "timeout";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "timeout";
        }
        body.put("state", null);
        body.put("stateError", error);
    }

    /**
     * Kills the process with the untrappable {@code kill} signal: it ends with reason {@code killed}
     * and its links and supervisor react as in OTP. 204 once it is gone; 404 if it was not alive.
     */
    @DeleteOperation
    public WebEndpointResponse<Void> kill(@Selector String pid) {
        Optional<Pid<?>> target = Pids.find(node, pid);
        if (target.isEmpty()) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
        }
        var exited = node.whenExited(target.get());
        node.exit(target.get(), ExitReason.KILL);
        try {
            exited.get(KILL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the kill is on its way; the process ends when its current handler returns
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NO_CONTENT);
    }

    private static int limit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        long n;
        try {
            n = Long.parseLong(limit.trim());
        } catch (NumberFormatException e) {
            throw new InvalidEndpointRequestException("limit must be an integer", "limit must be an integer, was " + limit);
        }
        if (n < 1) {
            throw new InvalidEndpointRequestException("limit must be 1 to 1000", "limit must be 1 to 1000, was " + n);
        }
        return (int) Math.min(n, MAX_LIMIT);
    }

    private static Map<String, Object> json(TopProcesses.Row r) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("pid", r.pid());
        row.put("name", r.name());
        row.put("type", r.type());
        row.put("status", r.status());
        row.put("mailbox", r.mailbox());
        row.put("reductions", r.reductions());
        row.put("supervisor", r.supervisor());
        return row;
    }
}
