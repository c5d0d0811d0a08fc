package io.mailroom.process;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * The lost wake-up race: a send arrives while the owner is finishing its turn and going idle.
 * The process is queued with one message (as a send from outside leaves it); one actor is the
 * scheduler and gives it its turn, the other sends a second message meanwhile. The mailbox's
 * rule (CellMailbox: the sender swaps the tail, then reads the state; the owner writes the state,
 * then reads the tail) must leave exactly one of: the turn took both; or the process queued once
 * more with the second message waiting (woken by the sender's CAS or by the owner's own re-check,
 * whichever won).
 *
 * <p>Outcome: {@code turn=N} messages the turn handled, then {@code status}, {@code queued}
 * (times in the run queue) and {@code mailbox} (depth) as the actors left it, then
 * {@code final=N} handled after the arbiter ran the queued turns. Two variants: a budget of 100
 * (the turn ends because the mailbox looks empty: Scheduler.submit) and of 1 (the turn ends on
 * its budget with mail left: Scheduler.requeue).
 *
 * <p>A spurious wake-up is allowed and expected: the sender links its message, the owner takes
 * it and goes idle, and only then does the sender's {@code wake()} read the state, find it
 * waiting and queue the process, which then runs one turn with nothing to do. Harmless (the
 * quick run saw it in ~0.1% of samples); a lost wake-up or a second queue entry is not.
 */
public class MailboxWakeupStress {

    abstract static class Base {
        final Node node = Fixture.node();
        int handled;
        final Cell<Integer> cell = Fixture.cell(node, Behaviors.receive((Integer m) -> {
            handled++;
            return Behaviors.same();
        }));

        Base() {
            cell.send(0); // waiting -> runnable, into the node's shared queue
        }

        void owner(int budget) {
            Fixture.step(node, budget);
        }

        void sender() {
            cell.send(1);
        }

        String settle(int budget) {
            int turn = handled;
            String flags = Fixture.schedulingFlags(node, cell);
            String left = "status=" + cell.status() + " queued=" + Fixture.queued(node) + " mailbox=" + cell.mailboxDepth();
            Fixture.drain(node, budget, 8);
            if (cell.mailboxDepth() != 0 || Fixture.queued(node) != 0) {
                flags += "LEFT-IN-MAILBOX(" + cell.mailboxDepth() + ") ";
            }
            Fixture.release(node);
            return flags + "turn=" + turn + " " + left + " final=" + handled;
        }
    }

    @JCStressTest
    @Description("Send vs the owner going idle, the turn ending with the mailbox empty: no lost wake-up, no double scheduling")
    @Outcome(id = "turn=2 status=waiting queued=0 mailbox=0 final=2", expect = ACCEPTABLE, desc = "the turn took the second message too")
    @Outcome(id = "turn=1 status=runnable queued=1 mailbox=1 final=2", expect = ACCEPTABLE, desc = "the send came after the turn's last look: queued again, once")
    @Outcome(id = "turn=2 status=runnable queued=1 mailbox=0 final=2", expect = ACCEPTABLE_INTERESTING,
            desc = "spurious wake-up: the turn took the message, then the sender's wake saw the process idle and queued it; one empty turn follows")
    @Outcome(expect = FORBIDDEN, desc = "lost wake-up, double scheduling, a message lost or handled twice")
    @State
    public static class EmptyMailbox extends Base {
        @Actor
        public void owner() {
            owner(100);
        }

        @Actor
        public void sender() {
            super.sender();
        }

        @Arbiter
        public void arbiter(L_Result r) {
            r.r1 = settle(100);
        }
    }

    @JCStressTest
    @Description("Send vs the owner going idle, the turn ending on its budget of 1: requeued once, never lost")
    @Outcome(id = "turn=1 status=runnable queued=1 mailbox=1 final=2", expect = ACCEPTABLE, desc = "budget used up (or send after the last look): queued again, once")
    @Outcome(expect = FORBIDDEN, desc = "lost wake-up, double scheduling, a message lost or handled twice")
    @State
    public static class BudgetUsedUp extends Base {
        @Actor
        public void owner() {
            owner(1);
        }

        @Actor
        public void sender() {
            super.sender();
        }

        @Arbiter
        public void arbiter(L_Result r) {
            r.r1 = settle(1);
        }
    }
}
