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
 * The mailbox with two senders and the owner taking messages at the same time. jcstress gives a
 * test no more actors than there are CPUs (2 here), so the second sender is also the scheduler:
 * as on a real scheduler thread, it sends and then gives the woken process a turn, while the
 * other sender keeps sending from outside. So sender A's enqueues race sender B's enqueues and
 * the owner's dequeues (including the window where A has swapped the tail and not yet linked
 * its node, where the owner gives its turn up), and both race the owner's end of turn.
 *
 * <p>The arbiter first looks at the state the actors left (lost or double wake-up), then runs
 * the queued turns to the end, and reports the order the process received its messages in.
 * Every message exactly once and each sender's in its own order means one of the six merges of
 * {@code 1,2} and {@code 11,12}; anything else (a loss, a duplicate, a reordering, a flag) is
 * forbidden. {@code owner=K} says how many of the four the owner took while the senders ran.
 */
@JCStressTest
@Description("Two senders and the owner on one mailbox: each message once, FIFO per sender, no lost or double wake-up")
@Outcome(id = "order=1,2,11,12 owner=[0-4]", expect = ACCEPTABLE, desc = "A's both before B's")
@Outcome(id = "order=1,11,2,12 owner=[0-4]", expect = ACCEPTABLE, desc = "interleaved")
@Outcome(id = "order=1,11,12,2 owner=[0-4]", expect = ACCEPTABLE, desc = "interleaved")
@Outcome(id = "order=11,1,2,12 owner=[0-4]", expect = ACCEPTABLE, desc = "interleaved")
@Outcome(id = "order=11,1,12,2 owner=[0-4]", expect = ACCEPTABLE, desc = "interleaved")
@Outcome(id = "order=11,12,1,2 owner=[0-4]", expect = ACCEPTABLE, desc = "B's both before A's")
@Outcome(expect = FORBIDDEN, desc = "lost, duplicated or reordered message, or a lost/double wake-up (see the flags)")
@State
public class MailboxTwoSendersStress {
    static final int BUDGET = 100;

    final Node node = Fixture.node();
    final int[] received = new int[8];
    int count;
    final Cell<Integer> cell = Fixture.cell(node, Behaviors.receive((Integer m) -> {
        if (count < received.length) {
            received[count] = m;
        }
        count++;
        return Behaviors.same();
    }));

    @Actor
    public void senderA() {
        cell.send(1);
        cell.send(2);
    }

    /** Sender B, on a scheduler thread: sends, then runs what is queued, twice. */
    @Actor
    public void senderBAndOwner() {
        cell.send(11);
        Fixture.step(node, BUDGET);
        cell.send(12);
        Fixture.step(node, BUDGET);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        int ownerTook = count;
        String flags = Fixture.schedulingFlags(node, cell);
        Fixture.drain(node, BUDGET, 8);
        if (cell.mailboxDepth() != 0 || Fixture.queued(node) != 0) {
            flags += "LEFT-IN-MAILBOX(" + cell.mailboxDepth() + ") ";
        }
        r.r1 = flags + "order=" + Fixture.join(received, count) + " owner=" + ownerTook;
        Fixture.release(node);
    }
}
