package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Selective receive against a model of Erlang's mailbox scan: whatever the messages and behaviour
 * changes, a process handles the same messages in the same order as the model. (Bounded by
 * {@link ProcessTesting#WAIT}; jqwik does not read JUnit's {@code @Timeout}.)
 */
class SelectiveReceivePropertiesTest {

    private static Node node;

    @BeforeContainer
    static void startNode() {
        node = Node.start();
    }

    @AfterContainer
    static void stopNode() {
        node.shutdown();
    }

    /** Values 0..8 are data; 100 + k switches to behaviour k (each switch is a change, even to the same k). */
    static boolean isSwitch(int value) {
        return value >= 100;
    }

    /** Behaviour k handles the data values v with v % 3 == k and every switch; it defers the rest. */
    static boolean handles(int behaviour, int value) {
        return isSwitch(value) || value % 3 == behaviour;
    }

    record Handled(Pid<List<Integer>> replyTo) {}

    static Behavior<Object> behaviour(int k, List<Integer> handled) {
        return Behaviors.receive(message -> {
            if (message instanceof Handled h) {
                h.replyTo().send(List.copyOf(handled));
                return Behaviors.same();
            }
            int value = (Integer) message;
            if (!handles(k, value)) {
                return Behaviors.unhandled();
            }
            handled.add(value);
            return isSwitch(value) ? behaviour(value - 100, handled) : Behaviors.same();
        });
    }

    /** The model: a switch puts every saved message back, in arrival order, ahead of the unscanned ones. */
    static List<Integer> model(List<Integer> arrivals) {
        List<Integer> handled = new ArrayList<>();
        Deque<Integer> unscanned = new ArrayDeque<>(arrivals);
        List<Integer> saved = new ArrayList<>();
        int k = 0;
        while (!unscanned.isEmpty()) {
            int value = unscanned.pollFirst();
            if (!handles(k, value)) {
                saved.add(value);
                continue;
            }
            handled.add(value);
            if (isSwitch(value)) {
                k = value - 100;
                for (int i = saved.size() - 1; i >= 0; i--) {
                    unscanned.addFirst(saved.get(i));
                }
                saved.clear();
            }
        }
        return handled;
    }

    @Property(tries = 200)
    void a_process_handles_deferred_messages_as_an_erlang_mailbox_scan_would(
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 11) Integer> script) {
        List<Integer> arrivals = new ArrayList<>();
        for (int s : script) {
            arrivals.add(s < 9 ? s : 100 + (s - 9)); // 9, 10, 11 are switches to 0, 1, 2
        }
        Pid<Object> pid = node.spawn(behaviour(0, new ArrayList<>()));

        arrivals.forEach(pid::send);
        List<Integer> handled = await(node.<Object, List<Integer>>call(pid, Handled::new, WAIT));

        assertThat(handled).isEqualTo(model(arrivals));
        node.exit(pid, ExitReason.KILL);
    }
}
