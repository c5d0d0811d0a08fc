package io.mailroom.observe;

import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The {@code mailroom} health contributor, on a node of its own (one per test). */
@Timeout(60)
@TestNode(schedulers = 2)
class MailroomHealthIndicatorTest {

    @Test
    void upWithLiveSchedulersAndARootSupervisorDownWithoutTheRoot(Node node) {
        MailroomHealthIndicator health = new MailroomHealthIndicator(node);
        assertThat(health.health().getStatus()).as("no root yet").isEqualTo(Status.DOWN);

        Pid<Object> root = node.spawn(Behaviors.ignore(), SpawnOptions.ofType("supervisor").withName(ServiceTree.ROOT));
        Health up = health.health();
        assertThat(up.getStatus()).isEqualTo(Status.UP);
        assertThat(up.getDetails()).containsEntry("schedulers", "alive").containsEntry("root", root.toString());

        node.exit(root, ExitReason.KILL);
        eventually().until(() -> health.health().getStatus().equals(Status.DOWN));
        assertThat(health.health().getDetails()).containsEntry("root", "gone");
    }

    @Test
    void downWhenTheSchedulersAreGone(Node node) {
        node.spawn(Behaviors.ignore(), SpawnOptions.ofType("supervisor").withName(ServiceTree.ROOT));
        MailroomHealthIndicator health = new MailroomHealthIndicator(node);
        assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        node.shutdown(Duration.ofSeconds(10));
        Health down = health.health();
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).containsEntry("schedulers", "dead");
    }
}
