package io.mailroom.observe.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mailroom.process.ExitReason;
import io.mailroom.supervision.SupervisorListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code mailroom_supervisor_restarts_total{supervisor}}: told of each restart by the supervisors
 * (on the supervisor's own turn; one counter increment). The tag is the supervisor's registered
 * name; an unnamed supervisor (whose name would be its pid) counts as {@code unnamed}, so no pid
 * ever becomes a tag. The service tree's supervisors are registered at zero from the start.
 */
public final class SupervisorMetrics implements SupervisorListener {
    static final String UNNAMED = "unnamed";
    private static final Pattern PID = Pattern.compile("<\\d+\\.\\d+\\.\\d+>");

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public SupervisorMetrics(MeterRegistry registry, List<String> knownSupervisors) {
        this.registry = registry;
        knownSupervisors.forEach(this::counter);
    }

    @Override
    public void restarting(String supervisor, String childId, ExitReason reason) {
        counter(supervisor).increment();
    }

    private Counter counter(String supervisor) {
        String tag = supervisor == null || PID.matcher(supervisor).matches() ? UNNAMED : supervisor;
        return counters.computeIfAbsent(tag, name -> Counter.builder("mailroom.supervisor.restarts")
                .description("Children restarted, by supervisor")
                .tag("supervisor", name)
                .register(registry));
    }
}
