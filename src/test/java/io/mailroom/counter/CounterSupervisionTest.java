package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mailroom.config.ServiceTree;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The counters under supervision (protocol.md §3): crashes restart a counter at its initial value;
 * past the counters supervisor's intensity the failure escalates and the root restarts it, which
 * starts every counter again. A small intensity (3 in 10 s) keeps the test quick.
 */
@SpringBootTest(properties = {"mailroom.counters.max-restarts=3", "mailroom.counters.within-seconds=10"})
@Timeout(120)
class CounterSupervisionTest {

    @Autowired
    CounterService counters;

    @Autowired
    Node node;

    @Test
    void escalationRestartsTheCountersSupervisorAndEveryCounterAtItsInitialValue() {
        counters.create("esc-a", 10);
        counters.create("esc-b", 20);
        counters.increment("esc-a", 5);
        counters.increment("esc-b", 5);
        Pid<Supervisor.Msg> before = node.<Supervisor.Msg>whereis(ServiceTree.COUNTERS).orElseThrow();

        // three restarts are within the intensity; the fourth crash makes the supervisor give up
        for (int i = 1; i <= 3; i++) {
            long expected = i;
            counters.crash("esc-a");
            await().atMost(Duration.ofSeconds(10)).until(() -> counters.get("esc-a").restarts() == expected);
        }
        assertThat(counters.get("esc-b").value()).isEqualTo(25);
        counters.crash("esc-a");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Pid<Supervisor.Msg> after = node.<Supervisor.Msg>whereis(ServiceTree.COUNTERS).orElseThrow();
            assertThat(after).isNotEqualTo(before);
            assertThat(counters.get("esc-a")).isEqualTo(new CounterView("esc-a", 10, 4));
            assertThat(counters.get("esc-b")).isEqualTo(new CounterView("esc-b", 20, 1));
        });
        assertThat(counters.list()).extracting(CounterView::name).contains("esc-a", "esc-b");
    }
}
