package io.mailroom.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.process.Behaviors;
import io.mailroom.process.NanoClock;
import io.mailroom.process.Node;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link TestNode}: a node per test, the same one for constructor and method, gone after the test. */
@Timeout(60)
@TestNode(schedulers = 2)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class NodeExtensionTest {
    /** Every node a test of this class was given, in the order given. */
    private static final List<Node> GIVEN = new CopyOnWriteArrayList<>();

    private final Node node;

    NodeExtensionTest(Node node) {
        this.node = node;
    }

    @RepeatedTest(3)
    void each_test_gets_a_fresh_running_node_and_the_ones_before_are_shut_down(Node asked) {
        assertThat(asked).isSameAs(node);
        assertThat(node.isShutdown()).isFalse();
        assertThat(node.schedulersAlive()).isTrue();
        assertThat(GIVEN).doesNotContain(node).allSatisfy(before -> {
            assertThat(before.isShutdown()).isTrue();
            assertThat(before.processCount()).isZero();
            assertThat(before.timersAlive()).isFalse();
        });
        GIVEN.add(node);
        node.spawn(Behaviors.ignore()); // left running: the extension's shutdown ends it
    }

    @Test
    void the_class_annotation_shapes_the_node() {
        assertThat(node.config().schedulers()).isEqualTo(2);
        assertThat(node.config().clock()).isSameAs(NanoClock.SYSTEM);
        assertThat(node.config().threadPrefix()).startsWith("mailroom-scheduler-t");
    }

    @Test
    @TestNode(schedulers = 1, testClock = true)
    void a_method_annotation_overrides_the_class_one_for_the_constructor_too(Node asked, TestClock clock) {
        assertThat(asked).isSameAs(node);
        assertThat(node.config().schedulers()).isEqualTo(1);
        assertThat(node.config().clock()).isSameAs(clock);
        assertThat(clock.followers()).as("the node's timer thread").isEqualTo(1);
    }

    @Test
    void a_test_clock_stands_still_until_advanced_and_never_goes_back() {
        TestClock clock = new TestClock();
        long start = clock.nanoTime();
        assertThat(clock.nanoTime()).isEqualTo(start);

        clock.advance(Duration.ofMillis(99));
        clock.advanceMillis(1);

        assertThat(clock.nanoTime() - start).isEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(100));
        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(100));
    }
}
