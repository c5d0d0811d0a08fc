package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import io.mailroom.process.Pid;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Intensity#unlimited()}: a supervisor that never gives up (Pekko's {@code restart()} without a limit). */
class UnlimitedIntensityTest {

    private Node node;
    private final Events events = new Events();

    @BeforeEach
    void startNode() {
        node = Node.start(NodeConfig.defaults().withCrashReportsPerSecond(1));
    }

    @AfterEach
    void stopNode() {
        node.shutdown();
    }

    @Test
    void unlimitedIsUnlimitedAndALimitIsNot() {
        assertThat(Intensity.unlimited().isUnlimited()).isTrue();
        assertThat(Intensity.DEFAULT.isUnlimited()).isFalse();
        assertThat(Intensity.of(1000, 1).isUnlimited()).isFalse();
    }

    @Test
    @Timeout(60)
    void aSupervisorWithUnlimitedIntensityRestartsForever() {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(worker("a", events))).withIntensity(Intensity.unlimited()));
        Pid<?> a = Trees.pid(node, sup, "a");

        for (int i = 0; i < 100; i++) {
            Trees.crash(node, a, "boom");
            a = Trees.awaitReplaced(node, sup, "a", a);
        }

        assertThat(sup.isAlive()).isTrue();
        SupervisorReport report = Trees.report(node, sup);
        assertThat(report.restarts()).isEqualTo(100);
        assertThat(report.restartsInWindow()).as("no window is kept").isZero();
    }
}
