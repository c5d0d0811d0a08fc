package io.mailroom.config;

import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The process runtime as a bean: started with the context, shut down (every process, then the threads) with it. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    @Bean(destroyMethod = "")
    public Node node(SchedulerProperties s) {
        NodeConfig config = NodeConfig.defaults().withMessageBudget(s.messageBudget());
        if (s.threads() > 0) {
            config = config.withSchedulers(s.threads());
        }
        return Node.start(config);
    }

    @Bean
    public NodeLifecycle nodeLifecycle(Node node, SchedulerProperties scheduler) {
        return new NodeLifecycle(node, scheduler.shutdownTimeout());
    }
}
