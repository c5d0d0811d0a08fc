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
 * Work stealing as Worker.lookEverywhere does it: a thief takes the older half of a victim's ring
 * with {@link RunQueue#stealHalfInto} (it reads the slots, then claims them with one CAS of the
 * head, and copies all but the first into its own ring) while the victim's owner pushes and pops.
 * Both rings hold 4 and start with their indices near the end (victim at 3, thief at 2), so the
 * victim's entries, the owner's pushes into freed slots, and the thief's copies all wrap around.
 * Three entries wait at the start; the owner pushes e4, pops, pushes e5, pops (a push to a full
 * ring is refused: the caller overflows it).
 *
 * <p>Outcome: one letter per entry e1..e5: {@code O} the owner's pop, {@code T} the one the
 * steal returned, {@code S} copied into the thief's ring (the thief then pops it from there),
 * {@code X} refused by a full ring, {@code L} left in the victim's ring. Every entry exactly
 * once, each taker's in queue order; a slot the owner reused must never come out of a steal
 * ({@code FOREIGN}, {@code DUP}).
 */
@JCStressTest
@Description("RunQueue: owner push/pop vs stealHalfInto across the wrap-around of both rings: each entry exactly once, FIFO")
@Outcome(id = "[OTSXL]{5}", expect = ACCEPTABLE, desc = "every entry taken exactly once (letters: who took e1..e5)")
@Outcome(expect = FORBIDDEN, desc = "an entry lost, taken twice, out of order, or a stale slot stolen")
@State
public class RunQueueStealHalfStress {
    static final Cell<?>[] E = Tokens.cells(5);

    final RunQueue victim = Tokens.ringAt(4, 3);
    final RunQueue thiefRing = Tokens.ringAt(4, 2);
    final int[] ownerGot = {-1, -1, -1, -1};
    final int[] thiefGot = {-2, -2, -2, -2, -2};

    public RunQueueStealHalfStress() {
        victim.push(E[0]);
        victim.push(E[1]);
        victim.push(E[2]);
    }

    @Actor
    public void owner() {
        ownerGot[0] = victim.push(E[3]) ? -1 : 3;       // refused: overflowed by the caller
        ownerGot[1] = index(victim.poll());
        ownerGot[2] = victim.push(E[4]) ? -1 : 4;
        ownerGot[3] = index(victim.poll());
    }

    @Actor
    public void thief() {
        thiefGot[0] = index(victim.stealHalfInto(thiefRing));
        int k = 1;
        for (Cell<?> c; k < thiefGot.length && (c = thiefRing.poll()) != null; k++) {
            thiefGot[k] = index(c);
        }
    }

    private static int index(Cell<?> c) {
        if (c == null) {
            return -1; // nothing
        }
        int i = Tokens.index(E, c);
        return i < 0 ? -3 : i; // -3: not one of ours
    }

    @Arbiter
    public void arbiter(L_Result r) {
        char[] who = new char[5];
        int[] takes = new int[5];
        boolean foreign = false;
        boolean outOfOrder = false;
        // the owner: refusals at 0 and 2, pops at 1 and 3 (pops in increasing order)
        int last = -1;
        for (int k = 0; k < 4; k++) {
            int i = ownerGot[k];
            if (i == -1) {
                continue;
            }
            if (i < 0) {
                foreign = true;
                continue;
            }
            boolean pop = k == 1 || k == 3;
            if (pop) {
                if (i <= last) {
                    outOfOrder = true;
                }
                last = i;
            }
            who[i] = pop ? 'O' : 'X';
            takes[i]++;
        }
        last = -1;
        for (int k = 0; k < thiefGot.length; k++) {
            int i = thiefGot[k];
            if (i == -1 || i == -2) {
                continue;
            }
            if (i < 0) {
                foreign = true;
                continue;
            }
            if (i <= last) {
                outOfOrder = true;
            }
            last = i;
            who[i] = k == 0 ? 'T' : 'S';
            takes[i]++;
        }
        for (Cell<?> c; (c = victim.poll()) != null; ) {
            int i = Tokens.index(E, c);
            if (i < 0) {
                foreign = true;
            } else {
                who[i] = 'L';
                takes[i]++;
            }
        }
        if (!thiefRing.isEmpty()) {
            foreign = true; // the thief drained its ring: nothing may be left there
        }
        r.r1 = Tokens.verdict(who, takes, outOfOrder, foreign);
    }
}
