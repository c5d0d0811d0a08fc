package io.mailroom.observe;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.web.ApiException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /actuator/processes/{pid}/trace}: a live trace of the messages one process handles,
 * as {@code text/event-stream} (docs/observability.md). Under {@code /actuator/processes/**}, so
 * {@link io.mailroom.security.ManagementSecurity} asks for the admin.
 *
 * <p>Each message the process handles is one {@code data:} line ({@link TraceSession.Event} as
 * JSON). Besides: an {@code event: dropped} line when events were dropped since the last one (rate
 * cap or a client too slow), and a last {@code event: end} saying why the trace ended
 * ({@code exited}, {@code max_duration}). A comment line every second finds a client that went
 * away; then, at the process's end, or after {@code seconds} (at most
 * {@code mailroom.observe.trace-max-seconds}), the tracer is detached and the process is back to
 * paying one field check per message. One trace per process at a time: a second is 409.
 *
 * <p>The writing is done by a virtual thread per trace, so a client that reads slowly holds no
 * request thread, and the process never waits for it.
 */
@RestController
public class TraceController {
    static final long HEARTBEAT_MILLIS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(TraceController.class);

    private final Node node;
    private final ObserveProperties properties;

    public TraceController(Node node, ObserveProperties properties) {
        this.node = node;
        this.properties = properties;
    }

    @GetMapping("/actuator/processes/{pid}/trace")
    public SseEmitter trace(@PathVariable String pid, @RequestParam(required = false) String seconds) {
        int max = properties.traceMaxSeconds();
        int length = seconds(seconds, max);
        Pid<?> target = Pids.find(node, pid).orElseThrow(() -> ApiException.notFound("no live process " + pid));
        TraceSession session = new TraceSession(properties.traceTextLimit(), properties.traceEventsPerSecond(),
                properties.traceBuffer());
        if (!node.trace(target, session)) {
            if (!target.isAlive()) {
                throw ApiException.notFound("no live process " + pid);
            }
            throw ApiException.conflict(target + " is being traced already; one trace per process at a time");
        }
        SseEmitter emitter = new SseEmitter(TimeUnit.SECONDS.toMillis(length) + 10_000);
        AtomicBoolean gone = new AtomicBoolean();
        emitter.onCompletion(() -> gone.set(true));
        emitter.onError(e -> gone.set(true));
        emitter.onTimeout(() -> gone.set(true));
        Thread.ofVirtual().name("mailroom-trace-" + target).start(() ->
                stream(target, session, emitter, gone, System.nanoTime() + TimeUnit.SECONDS.toNanos(length), length));
        return emitter;
    }

    private static int seconds(String seconds, int max) {
        if (seconds == null || seconds.isBlank()) {
            return max;
        }
        long n;
        try {
            n = Long.parseLong(seconds.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("seconds must be a whole number, was " + seconds);
        }
        if (n < 1) {
            throw ApiException.badRequest("seconds must be at least 1, was " + n);
        }
        return (int) Math.min(n, max);
    }

    /** The writer: until the client goes, the process ends or the time is up, then detaches. */
    private void stream(Pid<?> target, TraceSession session, SseEmitter emitter, AtomicBoolean gone,
                        long deadline, int length) {
        String end = "client_gone";
        long reportedDropped = 0;
        try {
            emitter.send(SseEmitter.event().name("start")
                    .data(Map.of("pid", target.toString(), "seconds", length), MediaType.APPLICATION_JSON));
            long nextBeat = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
            while (!gone.get()) {
                TraceSession.Event e = session.next(200);
                for (int n = 0; e != null && n < 256; n++) {
                    emitter.send(SseEmitter.event().data(e, MediaType.APPLICATION_JSON));
                    e = session.poll();
                }
                if (e != null) {
                    emitter.send(SseEmitter.event().data(e, MediaType.APPLICATION_JSON));
                }
                long now = System.nanoTime();
                ExitReason exit = session.endedWith();
                if (exit != null && session.isEmpty()) {
                    end = "exited";
                    break;
                }
                if (now - deadline >= 0) {
                    end = "max_duration";
                    break;
                }
                if (now - nextBeat >= 0) {
                    long dropped = session.dropped();
                    if (dropped != reportedDropped) {
                        reportedDropped = dropped;
                        emitter.send(SseEmitter.event().name("dropped")
                                .data(Map.of("dropped", dropped), MediaType.APPLICATION_JSON));
                    } else {
                        emitter.send(SseEmitter.event().comment("")); // finds a client that went away
                    }
                    nextBeat = now + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
                }
            }
            if (!gone.get()) {
                node.untrace(target, session); // before the end line: whoever reads it may trace again at once
                Map<String, Object> last = new LinkedHashMap<>();
                last.put("reason", end);
                ExitReason exit = session.endedWith();
                last.put("exit", exit == null ? null : exit.toString());
                last.put("events", session.accepted());
                last.put("dropped", session.dropped());
                emitter.send(SseEmitter.event().name("end").data(last, MediaType.APPLICATION_JSON));
                emitter.complete();
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away (a write failed, or the container already closed the response)
            end = "client_gone";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("the trace of {} failed", target, e);
        } finally {
            node.untrace(target, session);
            if (gone.get() || "client_gone".equals(end)) {
                try {
                    emitter.complete();
                } catch (RuntimeException ignored) {
                    // the response is gone already
                }
            }
            LOG.debug("trace of {} ended: {}", target, end);
        }
    }
}
