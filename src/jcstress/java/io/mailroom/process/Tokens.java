package io.mailroom.process;

/** Helpers of the run-queue tests: processes used only as distinct entries, and the verdict. */
final class Tokens {
    private static final Node NODE = Fixture.node(); // never scheduled: the cells are only identities

    private Tokens() {}

    static Cell<?>[] cells(int n) {
        Cell<?>[] cells = new Cell<?>[n];
        for (int i = 0; i < n; i++) {
            cells[i] = new Cell<>(NODE, i + 1, SpawnOptions.DEFAULT, Behaviors.receive((Object m) -> Behaviors.same()), null);
        }
        return cells;
    }

    /** A ring of {@code capacity} whose head and tail both stand at {@code start}, so pushes wrap around sooner. */
    static RunQueue ringAt(int capacity, int start) {
        RunQueue q = new RunQueue(capacity);
        Cell<?> filler = FILLER;
        for (int i = 0; i < start; i++) {
            q.push(filler);
            q.poll();
        }
        return q;
    }

    private static final Cell<?> FILLER = cells(1)[0];

    static int index(Cell<?>[] entries, Cell<?> c) {
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The letters of who took each entry, or the flags of what went wrong followed by them;
     * {@code foreign}: a take returned something that was never pushed in this round (a stale slot).
     */
    static String verdict(char[] who, int[] takes, boolean outOfOrder, boolean foreign) {
        StringBuilder flags = new StringBuilder(foreign ? "FOREIGN " : "");
        StringBuilder letters = new StringBuilder();
        for (int i = 0; i < who.length; i++) {
            if (takes[i] == 0) {
                flags.append("LOST(e").append(i + 1).append(") ");
                letters.append('-');
            } else {
                if (takes[i] > 1) {
                    flags.append("DUP(e").append(i + 1).append('x').append(takes[i]).append(") ");
                }
                letters.append(who[i]);
            }
        }
        if (outOfOrder) {
            flags.append("ORDER ");
        }
        return flags.append(letters).toString();
    }
}
