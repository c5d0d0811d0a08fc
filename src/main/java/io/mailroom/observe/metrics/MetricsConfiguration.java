package io.mailroom.observe.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.mailroom.config.ServiceTree;
import io.mailroom.process.Node;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The runtime's meters and the supervisors' restart counter, as beans Spring Boot binds to its registry. */
@Configuration(proxyBeanMethods = false)
public class MetricsConfiguration {

    /** Per-type gauges share one process-table scan per second. */
    static final long CENSUS_MAX_AGE_MILLIS = 1000;

    @Bean
    public RuntimeMetrics runtimeMetrics(Node node) {
        return new RuntimeMetrics(node, CENSUS_MAX_AGE_MILLIS);
    }

    /** {@code mailroom_scheduler_utilization{scheduler,state}}: running, spinning and parked shares. */
    @Bean
    public SchedulerUtilization schedulerUtilization(Node node) {
        return new SchedulerUtilization(node);
    }

    /** The {@link io.mailroom.supervision.SupervisorListener} the service tree hands to every supervisor. */
    @Bean
    public SupervisorMetrics supervisorMetrics(MeterRegistry registry) {
        return new SupervisorMetrics(registry,
                List.of(ServiceTree.ROOT, ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS));
    }
}
