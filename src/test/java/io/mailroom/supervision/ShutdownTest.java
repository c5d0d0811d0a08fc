package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.stubbornWorker;
import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestClock;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTP's {@code shutdown}: brutal_kill, a timeout, infinity; and stopping a whole subtree. */
@TestNode
class ShutdownTest {

    private final Node node;
    private final Events events = new Events();

    ShutdownTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> supervise(ChildSpec<?>... children) {
        Pid<Supervisor.Msg> sup = Supervisor.start(node, SupervisorSpec.of("sup", Strategy.ONE_FOR_ONE,
                List.of(children)));
        eventually().until(() -> events.of("start").size() >= children.length);
        return sup;
    }

    @Test
    @Timeout(30)
    void aCooperativeChildEndsWithShutdown() {
        Pid<Supervisor.Msg> sup = supervise(worker("w", events));
        Pid<?> w = Trees.pid(node, sup, "w");
        CompletableFuture<ExitReason> exit = node.whenExited(w);

        assertThat(join(Supervisor.terminateChild(node, sup, w, Trees.CALL))).isTrue();

        assertThat(w.isAlive()).as("answered once the child has ended").isFalse();
        assertThat(join(exit)).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    @TestNode(testClock = true)
    void aChildThatIgnoresShutdownIsKilledWhenItsTimeoutRunsOut(TestClock clock) {
        Pid<Supervisor.Msg> sup = supervise(stubbornWorker("s", events, Shutdown.timeout(Duration.ofMillis(100))));
        Pid<?> s = Trees.pid(node, sup, "s");
        CompletableFuture<ExitReason> exit = node.whenExited(s);

        CompletableFuture<Boolean> terminated = Supervisor.terminateChild(node, sup, s, Trees.CALL);
        // once the child is asked to stop (the turns before have cancelled their calls' timers),
        // two timers: the terminate call's own timeout and the supervisor's kill timer
        eventually().until(() -> events.of("asked").contains("s:shutdown") && node.stats().pendingTimers() == 2);
        clock.advanceMillis(99);
        assertThat(exit).as("99 ms after the shutdown request").isNotDone();
        assertThat(s.isAlive()).isTrue();
        clock.advanceMillis(1);

        assertThat(join(terminated)).isTrue();
        assertThat(join(exit)).isEqualTo(ExitReason.KILLED);
        assertThat(Trees.pids(node, sup)).containsEntry("s", null);
    }

    @Test
    @Timeout(30)
    void brutalKillKillsWithoutAskingFirst() {
        Pid<Supervisor.Msg> sup = supervise(stubbornWorker("s", events, Shutdown.BRUTAL_KILL));
        Pid<?> s = Trees.pid(node, sup, "s");
        CompletableFuture<ExitReason> exit = node.whenExited(s);

        assertThat(join(Supervisor.terminateChild(node, sup, s, Trees.CALL))).isTrue();

        assertThat(join(exit)).isEqualTo(ExitReason.KILLED);
        assertThat(events.of("asked")).as("kill cannot be trapped").isEmpty();
        assertThat(events.of("stop")).containsExactly("s");
    }

    @Test
    @Timeout(30)
    void brutalKillAlsoKillsACooperativeChild() {
        Pid<Supervisor.Msg> sup = supervise(worker("w", events).withShutdown(Shutdown.BRUTAL_KILL));
        Pid<?> w = Trees.pid(node, sup, "w");
        CompletableFuture<ExitReason> exit = node.whenExited(w);

        join(Supervisor.stop(node, sup));

        assertThat(join(exit)).isEqualTo(ExitReason.KILLED);
    }

    @Test
    @Timeout(30)
    void supervisorChildrenDefaultToInfinity() {
        ChildSpec<Supervisor.Msg> spec = ChildSpec.supervisor("mid", SupervisorSpec.dynamic("mid"));

        assertThat(spec.shutdown()).isEqualTo(Shutdown.INFINITY);
        assertThat(spec.type()).isEqualTo(ChildType.SUPERVISOR);
        assertThat(ChildSpec.worker("w", () -> TestWorker.recording("w", events)).shutdown())
                .isEqualTo(Shutdown.timeout(Duration.ofSeconds(5)));
    }

    @Test
    @Timeout(30)
    void infinityWaitsForTheChildHoweverLongItTakes() {
        // A child supervisor whose own child holds out until released: with infinity the parent
        // neither kills it nor ends before it, and the child supervisor ends with shutdown.
        SupervisorSpec midSpec = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE,
                List.of(stubbornWorker("slow", events, Shutdown.INFINITY)));
        Pid<Supervisor.Msg> top = supervise(ChildSpec.supervisor("mid", midSpec));
        Pid<Supervisor.Msg> mid = Trees.pid(node, top, "mid");
        Pid<?> slow = Trees.pid(node, mid, "slow");
        CompletableFuture<ExitReason> midExit = node.whenExited(mid);

        CompletableFuture<ExitReason> stopped = Supervisor.stop(node, top);
        eventually().until(() -> events.of("asked").contains("slow:shutdown"));

        assertThat(stopped).as("top waits while slow lives").isNotDone();
        assertThat(mid.isAlive()).isTrue();
        Trees.send(slow, new TestWorker.Release());

        assertThat(join(stopped)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(join(midExit)).as("mid was not killed").isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    void aChildSupervisorWithInfinityIsNotKilledWhileItsChildrenTimeOut() {
        // mid's child ignores shutdown and is killed by mid after its own timeout; top (infinity)
        // waits for that and sees mid end with shutdown
        SupervisorSpec midSpec = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE,
                List.of(stubbornWorker("slow", events, Shutdown.timeout(Duration.ofMillis(100)))));
        Pid<Supervisor.Msg> top = supervise(ChildSpec.supervisor("mid", midSpec));
        Pid<Supervisor.Msg> mid = Trees.pid(node, top, "mid");
        CompletableFuture<ExitReason> slowExit = node.whenExited(Trees.pid(node, mid, "slow"));
        CompletableFuture<ExitReason> midExit = node.whenExited(mid);

        join(Supervisor.stop(node, top));

        assertThat(join(slowExit)).isEqualTo(ExitReason.KILLED);
        assertThat(join(midExit)).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    void stoppingASupervisorCompletesOnlyAfterItsWholeSubtreeIsDead() {
        SupervisorSpec midSpec = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE, List.of(
                worker("m1", events),
                stubbornWorker("m2", events, Shutdown.timeout(Duration.ofMillis(100))),
                worker("m3", events)));
        Pid<Supervisor.Msg> top = supervise(worker("t1", events), ChildSpec.supervisor("mid", midSpec),
                stubbornWorker("t3", events, Shutdown.timeout(Duration.ofMillis(100))));
        eventually().until(() -> events.of("start").size() == 5);
        Pid<Supervisor.Msg> mid = Trees.pid(node, top, "mid");
        List<Pid<?>> everyone = new ArrayList<>(Trees.pids(node, top).values());
        everyone.addAll(Trees.pids(node, mid).values());
        CompletableFuture<ExitReason> stopped = Supervisor.stop(node, top);
        // what the world looks like at the moment the future completes
        CompletableFuture<List<Pid<?>>> aliveAtCompletion = stopped.thenApply(
                r -> everyone.stream().filter(Pid::isAlive).toList());
        CompletableFuture<List<String>> stopsAtCompletion = stopped.thenApply(r -> events.of("stop"));

        assertThat(join(stopped)).isEqualTo(ExitReason.SHUTDOWN);

        assertThat(join(aliveAtCompletion)).isEmpty();
        assertThat(join(stopsAtCompletion)).containsExactly("t3", "m3", "m2", "m1", "t1");
    }

    @Test
    @Timeout(30)
    void aSupervisorKilledWithKillTakesItsLinkedChildrenDown() {
        SupervisorSpec midSpec = SupervisorSpec.of("mid", Strategy.ONE_FOR_ONE, List.of(worker("m", events)));
        Pid<Supervisor.Msg> top = supervise(worker("a", events), ChildSpec.supervisor("mid", midSpec));
        eventually().until(() -> events.of("start").size() == 2);
        Pid<?> a = Trees.pid(node, top, "a");
        Pid<Supervisor.Msg> mid = Trees.pid(node, top, "mid");
        Pid<?> m = Trees.pid(node, mid, "m");
        CompletableFuture<ExitReason> aExit = node.whenExited(a);
        CompletableFuture<ExitReason> midExit = node.whenExited(mid);
        CompletableFuture<ExitReason> mExit = node.whenExited(m);
        CompletableFuture<ExitReason> topExit = node.whenExited(top);

        node.exit(top, ExitReason.KILL);

        assertThat(join(topExit)).isEqualTo(ExitReason.KILLED);
        assertThat(join(aExit)).isEqualTo(ExitReason.KILLED);
        // mid traps exits: it takes the killed signal from its parent as an order to stop its subtree
        assertThat(join(midExit)).isEqualTo(ExitReason.KILLED);
        assertThat(join(mExit)).isEqualTo(ExitReason.SHUTDOWN);
    }

    @Test
    @Timeout(30)
    void aSupervisorStoppedFromOutsideEndsWithTheReasonItWasGiven() {
        Pid<Supervisor.Msg> sup = supervise(worker("a", events), worker("b", events));
        CompletableFuture<ExitReason> exit = node.whenExited(sup);

        node.exit(sup, ExitReason.of("maintenance"));

        assertThat(join(exit)).hasToString("maintenance");
        assertThat(events.of("stop")).containsExactly("b", "a");
    }
}
