package io.mailroom.process;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * A worker's run queue: its owner pushes and pops while a thief takes from the same ring with
 * {@link RunQueue#poll} (the any-thread take). The ring holds 4 and its indices start at 3, so
 * the entries wrap around the end of the array; three are queued at the start, so the owner's
 * second push finds the ring full unless the thief has taken one already, and overflows (as
 * Worker.pushBack sends it to the shared queue).
 *
 * <p>Outcome: one letter per entry e1..e5, who got it: {@code O} the owner's pop, {@code T} the
 * thief, {@code X} refused by a full ring (the caller overflows it), {@code L} left in the ring
 * (the arbiter takes it). Every entry exactly once; and as the ring is FIFO, each taker's
 * entries in queue order. {@code LOST}, {@code DUP} or {@code ORDER} flags are forbidden.
 */
@JCStressTest
@Description("RunQueue: owner push/pop vs a thief's poll across the ring's wrap-around: each entry exactly once, FIFO")
@Outcome(id = "[OTXL]{5}", expect = ACCEPTABLE, desc = "every entry taken exactly once (letters: who took e1..e5)")
@Outcome(expect = FORBIDDEN, desc = "an entry lost, taken twice, or out of order")
@State
public class RunQueuePollStress {
    static final Cell<?>[] E = Tokens.cells(5);

    final RunQueue q = Tokens.ringAt(4, 3);
    final char[] who = new char[5];
    final int[] takes = new int[5];
    /** Order of takes by each taker: a FIFO queue hands them out in increasing index. */
    int ownerLast = -1;
    int thiefLast = -1;
    boolean outOfOrder;
    boolean foreign;

    public RunQueuePollStress() {
        q.push(E[0]);
        q.push(E[1]);
        q.push(E[2]);
    }

    @Actor
    public void owner() {
        if (!q.push(E[3])) {
            take(3, 'X');
        }
        if (!q.push(E[4])) {
            take(4, 'X');
        }
        Cell<?> c = q.poll();
        if (c != null) {
            int i = Tokens.index(E, c);
            if (i <= ownerLast) {
                outOfOrder = true;
            }
            ownerLast = i;
            take(i, 'O');
        }
    }

    // The thief records into its own fields; they are merged in the arbiter, after both returned.
    final int[] thiefGot = {-1, -1};

    @Actor
    public void thief() {
        for (int k = 0; k < 2; k++) {
            Cell<?> c = q.poll();
            thiefGot[k] = c == null ? -1 : Tokens.index(E, c);
        }
    }

    private void take(int i, char by) {
        if (i < 0) {
            foreign = true;
            return;
        }
        who[i] = by;
        takes[i]++;
    }

    @Arbiter
    public void arbiter(L_Result r) {
        for (int i : thiefGot) {
            if (i >= 0) {
                if (i <= thiefLast) {
                    outOfOrder = true;
                }
                thiefLast = i;
                take(i, 'T');
            }
        }
        for (Cell<?> c; (c = q.poll()) != null; ) {
            take(Tokens.index(E, c), 'L');
        }
        r.r1 = Tokens.verdict(who, takes, outOfOrder, foreign);
    }
}
