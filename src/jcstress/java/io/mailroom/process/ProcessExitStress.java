package io.mailroom.process;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/** A process's state transitions: an exit signal, or a monitor, racing the process's own turn. */
public class ProcessExitStress {

    /**
     * {@code Node.exit(pid, kill)} from outside while the process runs a turn (one message
     * queued). Signals go ahead of messages, so the kill may come before the message or after it;
     * a kill that lands after the turn's last look must wake the process again (the signal
     * stack's wake-up, as the mailbox's), and the process must end exactly once, with reason
     * {@code killed}. Outcome: {@code handled} messages, the status the actors {@code left} it in,
     * its {@code final} status after the queued turns ran, how many {@code postStop}s it saw and
     * the reason.
     */
    @JCStressTest
    @Description("Kill vs a running turn: the process ends exactly once, killed; a late kill wakes it")
    @Outcome(id = "handled=0 left=dead final=dead postStop=1 reason=killed", expect = ACCEPTABLE, desc = "killed before the message")
    @Outcome(id = "handled=1 left=dead final=dead postStop=1 reason=killed", expect = ACCEPTABLE, desc = "killed in the same turn, after the message")
    @Outcome(id = "handled=1 left=runnable final=dead postStop=1 reason=killed", expect = ACCEPTABLE, desc = "kill after the turn's last look: woken, killed in the next turn")
    @Outcome(expect = FORBIDDEN, desc = "a kill lost (not dead), ended twice, double scheduling")
    @State
    public static class KillVsTurn {
        final Node node = Fixture.node();
        int handled;
        int postStops;
        ExitReason reason;
        final Cell<Integer> cell = Fixture.cell(node, Behaviors.receive((Integer m) -> {
            handled++;
            return Behaviors.same();
        }, (ctx, signal) -> {
            if (signal instanceof Signal.PostStop stop) {
                postStops++;
                reason = stop.reason();
            }
            return Behaviors.same();
        }));

        public KillVsTurn() {
            cell.send(0);
        }

        @Actor
        public void killer() {
            node.exit(cell, ExitReason.KILL);
        }

        @Actor
        public void owner() {
            Fixture.step(node, 100);
        }

        @Arbiter
        public void arbiter(L_Result r) {
            String flags = Fixture.schedulingFlags(node, cell);
            String left = cell.status();
            int h = handled;
            Fixture.drain(node, 100, 8);
            if (Fixture.queued(node) != 0) {
                flags += "STILL-QUEUED ";
            }
            Fixture.release(node);
            r.r1 = flags + "handled=" + h + " left=" + left + " final=" + cell.status() + " postStop=" + postStops
                    + " reason=" + reason;
        }
    }

    /**
     * A monitor from outside (as {@code Node.whenExited} and {@code Node.call} set one up: push
     * the MONITOR signal, and report {@code noproc} at once if the signal stack is closed) while
     * the process handles a message that stops it. Whether the monitor lands before the end
     * (then the dying process reports it, from its monitors or from the signals that reached it
     * as it ended) or after (noproc), the watcher must get exactly one DOWN.
     */
    @JCStressTest
    @Description("Monitor vs the process stopping: exactly one DOWN, normal or noproc")
    @Outcome(id = "downs=1 reason=normal final=dead", expect = ACCEPTABLE, desc = "the monitor landed before the end: DOWN from the process")
    @Outcome(id = "downs=1 reason=noproc final=dead", expect = ACCEPTABLE, desc = "the monitor came after the end: noproc at once")
    @Outcome(expect = FORBIDDEN, desc = "no DOWN, or two")
    @State
    public static class MonitorVsStop {
        final Node node = Fixture.node();
        final AtomicInteger downs = new AtomicInteger();
        final AtomicReference<ExitReason> reason = new AtomicReference<>();
        final Receiver watcher = message -> {
            if (message instanceof Signal.Down down) {
                downs.incrementAndGet();
                reason.set(down.reason());
            }
        };
        final Cell<Integer> cell = Fixture.cell(node, Behaviors.receive((Integer m) -> Behaviors.stopped()));

        public MonitorVsStop() {
            cell.send(0);
        }

        @Actor
        public void monitor() {
            MonitorRef ref = node.newRef();
            if (!cell.pushSignal(SystemSignal.monitor(ref, watcher))) {
                watcher.deliver(new Signal.Down(ref, cell, ExitReason.NOPROC));
            }
        }

        @Actor
        public void owner() {
            Fixture.step(node, 100);
        }

        @Arbiter
        public void arbiter(L_Result r) {
            String flags = Fixture.schedulingFlags(node, cell);
            Fixture.drain(node, 100, 8);
            Fixture.release(node);
            r.r1 = flags + "downs=" + downs.get() + " reason=" + reason.get() + " final=" + cell.status();
        }
    }
}
