package io.mailroom.observe;

import io.mailroom.names.SupervisorNames;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.ChildInfo;
import io.mailroom.supervision.ChildType;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorReport;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/supervisors} (protocol.md §4): the supervision tree from {@code root} down, each
 * supervisor with its strategy, intensity and at most {@value #CHILD_LIMIT} children.
 *
 * <p>Every entry has {@code restarts}: how many times its own supervisor restarted it (the root is
 * never restarted: 0), with {@code lastRestartAt} and {@code lastRestartReason}. A supervisor also
 * has {@code totalRestarts}: the restarts it has made of its children, in total, with
 * {@code restartsInWindow} (those counting against its intensity now) and the time and reason of
 * the last one ({@code lastChildRestartAt}, {@code lastChildRestartReason}).
 *
 * <p>Each supervisor is asked with a {@link Supervisor#report} call. A supervisor that is busy (for
 * instance stopping a child that takes its time) and does not answer within
 * {@value #TIMEOUT_MILLIS} ms is listed without its children and with {@code "error":"timeout"}.
 * 503 when the root supervisor is not running.
 */
@Component
@Endpoint(id = "supervisors")
public class SupervisorsEndpoint {
    static final int CHILD_LIMIT = 100;
    static final long TIMEOUT_MILLIS = 2000;
    /** As every timestamp of the contract: ISO-8601 UTC with milliseconds. */
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final Node node;

    public SupervisorsEndpoint(Node node) {
        this.node = node;
    }

    @ReadOperation
    public WebEndpointResponse<Map<String, Object>> tree() {
        Pid<Supervisor.Msg> root = node.<Supervisor.Msg>whereis(SupervisorNames.ROOT).orElse(null);
        SupervisorReport report = root == null ? null : report(root);
        if (report == null) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("name", SupervisorNames.ROOT);
            error.put("error", root == null ? "not running" : "timeout");
            return new WebEndpointResponse<>(error, WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", report.name());
        body.put("pid", String.valueOf(report.pid()));
        body.put("restarts", 0);
        body.put("lastRestartAt", null);
        body.put("lastRestartReason", null);
        supervisorFields(body, report);
        return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_OK);
    }

    private SupervisorReport report(Pid<Supervisor.Msg> supervisor) {
        CompletableFuture<SupervisorReport> future =
                Supervisor.report(node, supervisor, CHILD_LIMIT, Duration.ofMillis(TIMEOUT_MILLIS));
        try {
            return future.get(TIMEOUT_MILLIS + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null; // dead meanwhile, or too busy to answer
        }
    }

    private void supervisorFields(Map<String, Object> out, SupervisorReport report) {
        out.put("strategy", report.strategy().label());
        out.put("maxRestarts", report.maxRestarts());
        out.put("withinSeconds", report.withinSeconds());
        out.put("totalRestarts", report.restarts());
        out.put("restartsInWindow", report.restartsInWindow());
        out.put("lastChildRestartAt", instant(report.lastRestartAt()));
        out.put("lastChildRestartReason", report.lastRestartReason());
        out.put("childCount", report.childCount());
        out.put("truncated", report.truncated());
        List<Map<String, Object>> children = new ArrayList<>(report.children().size());
        for (ChildInfo child : report.children()) {
            children.add(child(child));
        }
        out.put("children", children);
    }

    private Map<String, Object> child(ChildInfo child) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", child.name());
        out.put("pid", child.pid() == null ? null : child.pid().toString());
        out.put("kind", child.type().label());
        out.put("restart", child.restart().label());
        out.put("restarts", child.restarts());
        out.put("lastRestartAt", instant(child.lastRestartAt()));
        out.put("lastRestartReason", child.lastRestartReason());
        if (child.type() == ChildType.SUPERVISOR && child.pid() != null) {
            SupervisorReport report = report(child.pid().narrow());
            if (report == null) {
                out.put("error", "timeout");
            } else {
                supervisorFields(out, report);
            }
        }
        return out;
    }

    private static String instant(Instant at) {
        return at == null ? null : ISO_MILLIS.format(at);
    }
}
