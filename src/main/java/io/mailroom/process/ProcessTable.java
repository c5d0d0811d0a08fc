package io.mailroom.process;

import java.util.function.Consumer;

/**
 * Every live process, by serial: a striped open-addressing hash table (linear probing, backward
 * shift on delete) holding only references, so a process costs about 8 bytes here rather than the
 * ~50 of a {@code ConcurrentHashMap} entry. Spawn and exit lock one stripe of 64; lookups and
 * iteration lock one stripe at a time, so a full scan never stops the whole node.
 */
final class ProcessTable {
    private static final int STRIPES = 64;
    private final Stripe[] stripes = new Stripe[STRIPES];

    ProcessTable() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    private static int mix(long id) {
        long h = id * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private Stripe stripe(long id) {
        return stripes[(int) (id & (STRIPES - 1))];
    }

    void add(Cell<?> cell) {
        stripe(cell.id).add(cell);
    }

    void remove(Cell<?> cell) {
        stripe(cell.id).remove(cell);
    }

    Cell<?> get(long id) {
        return stripe(id).get(id);
    }

    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            n += s.size;
        }
        return n;
    }

    /** Visits every process present when its stripe is reached. Do not spawn or exit from the visitor. */
    void forEach(Consumer<Cell<?>> visitor) {
        for (Stripe s : stripes) {
            s.forEach(visitor);
        }
    }

    private static final class Stripe {
        Cell<?>[] slots = new Cell<?>[16];
        volatile int size;

        synchronized void add(Cell<?> cell) {
            if ((size + 1) * 2 > slots.length) {
                resize(slots.length * 2);
            }
            insert(slots, cell);
            size++;
        }

        private static void insert(Cell<?>[] table, Cell<?> cell) {
            int mask = table.length - 1;
            int i = mix(cell.id >>> 6) & mask;
            while (table[i] != null) {
                i = (i + 1) & mask;
            }
            table[i] = cell;
        }

        private void resize(int capacity) {
            Cell<?>[] bigger = new Cell<?>[capacity];
            for (Cell<?> c : slots) {
                if (c != null) {
                    insert(bigger, c);
                }
            }
            slots = bigger;
        }

        synchronized void remove(Cell<?> cell) {
            Cell<?>[] table = slots;
            int mask = table.length - 1;
            int i = mix(cell.id >>> 6) & mask;
            while (table[i] != null && table[i] != cell) {
                i = (i + 1) & mask;
            }
            if (table[i] == null) {
                return;
            }
            table[i] = null;
            size--;
            // backward shift: pull later entries of the probe run into the hole
            int hole = i;
            int j = (i + 1) & mask;
            while (table[j] != null) {
                int home = mix(table[j].id >>> 6) & mask;
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    table[hole] = table[j];
                    table[j] = null;
                    hole = j;
                }
                j = (j + 1) & mask;
            }
            if (slots.length > 16 && size * 8 < slots.length) {
                resize(slots.length / 2);
            }
        }

        synchronized Cell<?> get(long id) {
            Cell<?>[] table = slots;
            int mask = table.length - 1;
            int i = mix(id >>> 6) & mask;
            while (table[i] != null) {
                if (table[i].id == id) {
                    return table[i];
                }
                i = (i + 1) & mask;
            }
            return null;
        }

        void forEach(Consumer<Cell<?>> visitor) {
            Cell<?>[] copy;
            synchronized (this) {
                copy = slots.clone();
            }
            for (Cell<?> c : copy) {
                if (c != null) {
                    visitor.accept(c);
                }
            }
        }
    }
}
