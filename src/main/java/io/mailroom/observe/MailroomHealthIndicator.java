package io.mailroom.observe;

import io.mailroom.names.SupervisorNames;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code mailroom} health contributor: DOWN when a scheduler thread or the timer thread has
 * died (or the node is shut down) or when the root supervisor is gone (it gave up after too many
 * restarts). Details, shown only to the admin: schedulers, timers and the errors the timer thread
 * survived, processes alive, and the root's pid.
 */
@Component("mailroom")
public class MailroomHealthIndicator implements HealthIndicator {
    private final Node node;

    public MailroomHealthIndicator(Node node) {
        this.node = node;
    }

    @Override
    public Health health() {
        boolean schedulers = node.schedulersAlive();
        boolean timers = node.timersAlive();
        Pid<?> root = node.whereis(SupervisorNames.ROOT).orElse(null);
        Health.Builder health = schedulers && timers && root != null ? Health.up() : Health.down();
        health.withDetail("schedulers", schedulers ? "alive" : "dead")
                .withDetail("schedulerThreads", node.schedulerStats().size())
                .withDetail("timers", timers ? "alive" : "dead")
                .withDetail("timerErrors", node.timerErrors())
                .withDetail("root", root == null ? "gone" : root.toString())
                .withDetail("processes", node.processCount());
        return health.build();
    }
}
