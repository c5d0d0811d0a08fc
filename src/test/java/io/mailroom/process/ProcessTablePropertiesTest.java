package io.mailroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The process table and the run queue against plain collections, for operation sequences jqwik
 * chooses. Ids are drawn so that most land in the same stripe of the table, which exercises its
 * growing, shrinking and backward-shift deletion.
 */
class ProcessTablePropertiesTest {

    record Op(boolean add, long id) {}

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Long> ids = Combinators.combine(Arbitraries.integers().between(0, 300), Arbitraries.of(0, 1, 37))
                .as((k, stripe) -> 64L * k + stripe);
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 99), ids)
                .as((roll, id) -> new Op(roll < 60, id));
        return op.list().ofMaxSize(2_000);
    }

    private static Cell<Object> cell(long id) {
        return new Cell<>(null, id, SpawnOptions.DEFAULT, Behaviors.ignore(), null);
    }

    @Property(tries = 200)
    void the_process_table_holds_exactly_the_processes_added_and_not_removed(@ForAll("operations") List<Op> ops) {
        ProcessTable table = new ProcessTable();
        Map<Long, Cell<Object>> model = new HashMap<>();

        for (Op op : ops) {
            if (op.add()) {
                if (!model.containsKey(op.id())) { // a pid is added once, at spawn
                    Cell<Object> c = cell(op.id());
                    model.put(op.id(), c);
                    table.add(c);
                }
            } else {
                Cell<Object> present = model.remove(op.id());
                table.remove(present != null ? present : cell(op.id())); // removing an absent one changes nothing
            }
        }

        assertThat(table.size()).isEqualTo(model.size());
        for (Op op : ops) {
            assertThat(table.get(op.id())).isSameAs(model.get(op.id()));
        }
        Set<Cell<?>> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        table.forEach(c -> assertThat(visited.add(c)).as("visited twice: %s", c).isTrue());
        assertThat(visited).containsExactlyInAnyOrderElementsOf(model.values());
    }

    @Property(tries = 200)
    void a_run_queue_hands_out_what_its_owner_pushed_in_order_and_refuses_pushes_when_full(
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 2) Integer> script) {
        RunQueue queue = new RunQueue(16);
        ArrayDeque<Cell<?>> model = new ArrayDeque<>();
        long next = 0;

        for (int step : script) {
            if (step < 2) { // push twice as often as poll, so the ring fills up and wraps
                Cell<Object> c = cell(next++);
                boolean pushed = queue.push(c);
                assertThat(pushed).isEqualTo(model.size() < 16);
                if (pushed) {
                    model.addLast(c);
                }
            } else {
                assertThat(queue.poll()).isSameAs(model.pollFirst());
            }
            assertThat(queue.size()).isEqualTo(model.size());
            assertThat(queue.isEmpty()).isEqualTo(model.isEmpty());
        }
    }
}
