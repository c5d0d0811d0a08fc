package io.mailroom.chat.web;

import io.mailroom.config.SupervisionProperties;
import io.mailroom.names.SupervisorNames;
import io.mailroom.observe.metrics.ProcessTypes;
import io.mailroom.supervision.SupervisorSpec;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * The chat's branches of the service tree: the dynamic supervisors that rooms and sessions are
 * started under (first and second under the root), and the process types they spawn.
 */
@Configuration(proxyBeanMethods = false)
public class ChatSupervisors {

    @Bean
    @Order(10)
    public SupervisorSpec roomsSupervisor(SupervisionProperties properties) {
        return SupervisorSpec.dynamic(SupervisorNames.ROOMS).withIntensity(properties.rooms().toIntensity());
    }

    @Bean
    @Order(20)
    public SupervisorSpec sessionsSupervisor(SupervisionProperties properties) {
        return SupervisorSpec.dynamic(SupervisorNames.SESSIONS).withIntensity(properties.sessions().toIntensity());
    }

    @Bean
    public ProcessTypes chatProcessTypes() {
        return ProcessTypes.of("room", "session");
    }
}
