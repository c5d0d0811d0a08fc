package io.mailroom.observe.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.mailroom.names.SupervisorNames;
import io.mailroom.process.Node;
import io.mailroom.process.SpawnOptions;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The runtime's meters and the supervisors' restart counter, as beans Spring Boot binds to its registry. */
@Configuration(proxyBeanMethods = false)
public class MetricsConfiguration {

    /** Per-type gauges share one process-table scan per second. */
    static final long CENSUS_MAX_AGE_MILLIS = 1000;

    /** The runtime's own types: every supervisor, and a process spawned without a type. */
    static final ProcessTypes RUNTIME_TYPES = ProcessTypes.of("supervisor", SpawnOptions.DEFAULT.type());

    /** The runtime's types and those each feature declares (a {@link ProcessTypes} bean) are reported from the start. */
    @Bean
    public RuntimeMetrics runtimeMetrics(Node node, ObjectProvider<ProcessTypes> declared) {
        List<String> types = new ArrayList<>(RUNTIME_TYPES.types());
        declared.orderedStream().forEach(t -> types.addAll(t.types()));
        return new RuntimeMetrics(node, CENSUS_MAX_AGE_MILLIS, types);
    }

    /** {@code mailroom_scheduler_utilization{scheduler,state}}: running, spinning and parked shares. */
    @Bean
    public SchedulerUtilization schedulerUtilization(Node node) {
        return new SchedulerUtilization(node);
    }

    /** The {@link io.mailroom.supervision.SupervisorListener} the service tree hands to every supervisor. */
    @Bean
    public SupervisorMetrics supervisorMetrics(MeterRegistry registry) {
        return new SupervisorMetrics(registry, SupervisorNames.ALL);
    }
}
