package io.mailroom.observe;

import io.mailroom.process.ProcessView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Keeps the {@code limit} largest processes by a key while visiting the process table once: a
 * bounded min-heap of rows, so a scan of a million processes allocates only for the few that
 * enter the top, and never copies or sorts the table. Ties go to the older process (smaller pid
 * serial), so the answer does not depend on the table's iteration order.
 *
 * <p>Not thread-safe: one instance per scan.
 */
final class TopProcesses implements Consumer<ProcessView> {

    /** One process as the listing shows it, captured while its view is valid. */
    record Row(long id, long key, String pid, String name, String type, String status, int mailbox, long reductions,
               String supervisor) {}

    /** Largest key first, then smallest serial. */
    static final Comparator<Row> ORDER = Comparator.comparingLong(Row::key).reversed().thenComparingLong(Row::id);

    private final String type;
    private final ToLongFunction<ProcessView> key;
    private final Row[] heap;
    private int size;
    private int total;

    TopProcesses(String type, ToLongFunction<ProcessView> key, int limit) {
        this.type = type;
        this.key = key;
        this.heap = new Row[limit];
    }

    @Override
    public void accept(ProcessView p) {
        if (type != null && !type.equals(p.type())) {
            return;
        }
        total++;
        long k = key.applyAsLong(p);
        long id = p.pid().id();
        if (size < heap.length) {
            heap[size] = row(p, k, id);
            up(size++);
        } else if (heap.length > 0 && beats(k, id, heap[0])) {
            heap[0] = row(p, k, id);
            down(0);
        }
    }

    /** Processes that matched the type filter. */
    int total() {
        return total;
    }

    /** The kept rows, largest first. */
    List<Row> rows() {
        Row[] rows = Arrays.copyOf(heap, size);
        Arrays.sort(rows, ORDER);
        return new ArrayList<>(Arrays.asList(rows));
    }

    private static Row row(ProcessView p, long key, long id) {
        return new Row(id, key, p.pid().toString(), p.registeredName(), p.type(), p.status(), p.mailboxDepth(),
                p.reductions(), Pids.supervisorOf(p.parentPid()));
    }

    /** Whether (key, id) ranks above the row: larger key, or equal key and older. */
    private static boolean beats(long key, long id, Row r) {
        return key > r.key() || (key == r.key() && id < r.id());
    }

    // min-heap by rank: heap[0] is the lowest-ranked row kept

    private static boolean lower(Row a, Row b) {
        return beats(b.key(), b.id(), a);
    }

    private void up(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!lower(heap[i], heap[parent])) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void down(int i) {
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int lowest = i;
            if (l < size && lower(heap[l], heap[lowest])) {
                lowest = l;
            }
            if (r < size && lower(heap[r], heap[lowest])) {
                lowest = r;
            }
            if (lowest == i) {
                return;
            }
            swap(i, lowest);
            i = lowest;
        }
    }

    private void swap(int i, int j) {
        Row t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }
}
