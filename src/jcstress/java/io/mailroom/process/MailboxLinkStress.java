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
 * The mailbox's link alone, since the split made it a release store ({@code CellMailbox.enqueue}:
 * swap the tail, then {@code NEXT.setRelease(prev, node)}; the owner's {@code poll} reads
 * {@code next} with acquire). A producer sends 1, 2, 3 through the real {@code send} while the
 * owner takes with {@code poll} four times, so the owner's reads race every link, including the
 * window where the tail is swapped and the link not yet written (the owner gives up then and must
 * find the message on a later look). The release store is also what publishes the node's
 * {@code message}: an owner that saw the link but not the message would take a null, which
 * {@code poll} cannot tell from "empty", and the message would be gone.
 *
 * <p>No scheduler runs here: a send's wake-up only queues the process, and the arbiter empties
 * that queue. The arbiter takes what is left; every message exactly once, in send order, means the
 * owner took a prefix of 1,2,3 and the arbiter the rest. Two variants: the first link goes onto
 * the process itself (its own stub node), or onto a message node the owner already emptied.
 */
public class MailboxLinkStress {

    abstract static class Base {
        final Node node = Fixture.node();
        final Cell<Integer> cell = Fixture.cell(node, Behaviors.receive((Integer m) -> Behaviors.same()));
        final int[] took = new int[4];
        int ownerTook;

        void produce() {
            cell.send(1);
            cell.send(2);
            cell.send(3);
        }

        void consume() {
            for (int i = 0; i < 4; i++) {
                Object m = cell.poll();
                if (m != null) {
                    took[ownerTook++] = (Integer) m;
                }
            }
        }

        String settle() {
            StringBuilder order = new StringBuilder("owner=").append(Fixture.join(took, ownerTook)).append(" rest=");
            int[] rest = new int[8];
            int n = 0;
            for (Object m; n < rest.length && (m = cell.poll()) != null; ) {
                rest[n++] = (Integer) m;
            }
            order.append(Fixture.join(rest, n));
            while (node.scheduler.pollShared() != null) {
                // the sends' wake-ups queued the process; no scheduler runs it here
            }
            Fixture.release(node);
            return order.toString();
        }
    }

    @JCStressTest
    @Description("Send vs poll from the process's own stub node: each message exactly once, in order, never a null taken")
    @Outcome(id = "owner= rest=1,2,3", expect = ACCEPTABLE, desc = "the owner looked before any link")
    @Outcome(id = "owner=1 rest=2,3", expect = ACCEPTABLE, desc = "the owner took the first")
    @Outcome(id = "owner=1,2 rest=3", expect = ACCEPTABLE, desc = "the owner took two")
    @Outcome(id = "owner=1,2,3 rest=", expect = ACCEPTABLE, desc = "the owner took all three")
    @Outcome(expect = FORBIDDEN, desc = "a message lost, taken twice or out of order")
    @State
    public static class FromStub extends Base {
        @Actor
        public void producer() {
            produce();
        }

        @Actor
        public void owner() {
            consume();
        }

        @Arbiter
        public void arbiter(L_Result r) {
            r.r1 = settle();
        }
    }

    @JCStressTest
    @Description("Send vs poll once the head is an emptied message node: each message exactly once, in order")
    @Outcome(id = "owner= rest=1,2,3", expect = ACCEPTABLE, desc = "the owner looked before any link")
    @Outcome(id = "owner=1 rest=2,3", expect = ACCEPTABLE, desc = "the owner took the first")
    @Outcome(id = "owner=1,2 rest=3", expect = ACCEPTABLE, desc = "the owner took two")
    @Outcome(id = "owner=1,2,3 rest=", expect = ACCEPTABLE, desc = "the owner took all three")
    @Outcome(expect = FORBIDDEN, desc = "a message lost, taken twice or out of order")
    @State
    public static class FromNode extends Base {
        public FromNode() {
            cell.send(0);
            if (!Integer.valueOf(0).equals(cell.poll())) {
                throw new IllegalStateException("the set-up message was not taken");
            }
            // the head is now the emptied node of message 0, no longer the process itself
        }

        @Actor
        public void producer() {
            produce();
        }

        @Actor
        public void owner() {
            consume();
        }

        @Arbiter
        public void arbiter(L_Result r) {
            r.r1 = settle();
        }
    }
}
