package io.mailroom.counter;

import io.mailroom.config.CounterProperties;
import io.mailroom.names.SupervisorNames;
import io.mailroom.observe.metrics.ProcessTypes;
import io.mailroom.supervision.SupervisorSpec;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/** The counters' branch of the service tree (third under the root) and the process type it spawns. */
@Configuration(proxyBeanMethods = false)
public class CounterSupervisor {

    /** A restarted counters supervisor starts every counter of the catalog again. */
    @Bean
    @Order(30)
    public SupervisorSpec countersSupervisor(CounterCatalog catalog, CounterProperties properties) {
        return SupervisorSpec.dynamic(SupervisorNames.COUNTERS)
                .withIntensity(properties.toIntensity())
                .withChildren(catalog::childSpecs);
    }

    @Bean
    public ProcessTypes counterProcessTypes() {
        return ProcessTypes.of(CounterCatalog.TYPE);
    }
}
