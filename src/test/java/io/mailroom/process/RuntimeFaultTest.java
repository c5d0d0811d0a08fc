package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.awaitEnded;
import static io.mailroom.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestNode;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fault in the runtime's own code during a turn (here: a watcher that throws an Error when told
 * of a DOWN, which runs inside the dying process's turn) neither kills the scheduler thread nor
 * keeps the other watchers from their DOWN: the node goes on running processes.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode(schedulers = 1) // one thread: if it died, nothing would run
class RuntimeFaultTest {

    private final Node node;

    RuntimeFaultTest(Node node) {
        this.node = node;
    }

    @Test
    void a_watcher_that_throws_does_not_end_the_scheduler_thread_nor_starve_the_other_watchers() {
        Probe target = Probe.spawn(node);
        AtomicInteger thrown = new AtomicInteger();
        Receiver broken = message -> {
            thrown.incrementAndGet();
            throw new AssertionError("a watcher bug, on purpose");
        };
        Cell<?> cell = (Cell<?>) target.pid();
        assertThat(cell.pushSignal(SystemSignal.monitor(node.newRef(), broken))).isTrue();
        Probe watcher = Probe.spawn(node);
        MonitorRef ref = watcher.monitor(target);

        target.stop(ExitReason.of("done"));
        awaitEnded(node, target.pid());

        eventually().until(() -> thrown.get() == 1);
        assertThat(watcher.nextDown()).isEqualTo(new Signal.Down(ref, target.pid(), ExitReason.of("done")));
        // the one scheduler thread still runs processes
        Probe after = Probe.spawn(node);
        Probe other = Probe.spawn(node);
        MonitorRef ref2 = other.monitor(after);
        after.stop(ExitReason.NORMAL);
        assertThat(other.nextDown()).isEqualTo(new Signal.Down(ref2, after.pid(), ExitReason.NORMAL));
    }

    @Test
    void a_process_abandoned_by_the_runtime_ends_as_a_crash_that_its_watchers_hear_of() {
        Probe target = Probe.spawn(node);
        Probe watcher = Probe.spawn(node);
        MonitorRef ref = watcher.monitor(target);
        Cell<?> cell = (Cell<?>) target.pid();
        AssertionError fault = new AssertionError("a runtime bug, on purpose");

        cell.abandon(fault); // what the worker does when a turn throws out of the runtime's code

        awaitEnded(node, target.pid());
        Signal.Down down = watcher.nextDown();
        assertThat(down.ref()).isEqualTo(ref);
        assertThat(down.reason()).isInstanceOf(ExitReason.Crash.class);
        assertThat(((ExitReason.Crash) down.reason()).error()).isSameAs(fault);
    }
}
