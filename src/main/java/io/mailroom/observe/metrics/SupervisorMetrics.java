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
 * The supervisors' decisions as counters, each tagged by supervisor: restarts
 * ({@code mailroom_supervisor_restarts_total}), restarts that could not start a child (OTP's
 * {@code start_error}, {@code mailroom_supervisor_start_failures_total}), children that ended with
 * another reason than the one they were asked to stop with (OTP's {@code shutdown_error},
 * {@code mailroom_supervisor_shutdown_errors_total}) and give-ups past the restart intensity
 * ({@code mailroom_supervisor_intensity_exceeded_total}). Told on the supervisor's own turn: one
 * counter increment each. The tag is the supervisor's registered name; an unnamed supervisor (whose
 * name would be its pid) counts as {@code unnamed}, so no pid ever becomes a tag. The service
 * tree's supervisors are registered at zero from the start.
 */
public final class SupervisorMetrics implements SupervisorListener {
    static final String UNNAMED = "unnamed";
    private static final Pattern PID = Pattern.compile("(#PID)?<\\d+\\.\\d+\\.\\d+>");

    private final Family restarts;
    private final Family startFailures;
    private final Family shutdownErrors;
    private final Family intensityExceeded;

    public SupervisorMetrics(MeterRegistry registry, List<String> knownSupervisors) {
        restarts = new Family(registry, "mailroom.supervisor.restarts", "Children restarted, by supervisor");
        startFailures = new Family(registry, "mailroom.supervisor.start.failures",
                "Restarts that could not start a child (start_error), by supervisor");
        shutdownErrors = new Family(registry, "mailroom.supervisor.shutdown.errors",
                "Children that ended with another reason than asked when stopped (shutdown_error), by supervisor");
        intensityExceeded = new Family(registry, "mailroom.supervisor.intensity.exceeded",
                "Times a supervisor gave up past its restart intensity, by supervisor");
        for (String supervisor : knownSupervisors) {
            restarts.of(supervisor);
            startFailures.of(supervisor);
            shutdownErrors.of(supervisor);
            intensityExceeded.of(supervisor);
        }
    }

    @Override
    public void restarting(String supervisor, String childId, ExitReason reason) {
        restarts.of(supervisor).increment();
    }

    @Override
    public void startFailed(String supervisor, String childId, ExitReason error) {
        startFailures.of(supervisor).increment();
    }

    @Override
    public void shutdownError(String supervisor, String childId, ExitReason reason) {
        shutdownErrors.of(supervisor).increment();
    }

    @Override
    public void intensityExceeded(String supervisor) {
        intensityExceeded.of(supervisor).increment();
    }

    /** One counter per supervisor tag, registered on first use. */
    private static final class Family {
        private final MeterRegistry registry;
        private final String name;
        private final String description;
        private final Map<String, Counter> bySupervisor = new ConcurrentHashMap<>();

        Family(MeterRegistry registry, String name, String description) {
            this.registry = registry;
            this.name = name;
            this.description = description;
        }

        Counter of(String supervisor) {
            String tag = supervisor == null || PID.matcher(supervisor).matches() ? UNNAMED : supervisor;
            return bySupervisor.computeIfAbsent(tag, t -> Counter.builder(name)
                    .description(description)
                    .tag("supervisor", t)
                    .register(registry));
        }
    }
}
