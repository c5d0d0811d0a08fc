package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.stubbornWorker;
import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.Signal;
import io.mailroom.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OTP's {@code shutdown/1}: a child asked to stop must end with {@code shutdown} ({@code killed} for
 * brutal_kill); {@code normal} and {@code {shutdown,Term}} are accepted only from a child that is not
 * permanent. Any other reason is reported as a {@code shutdown_error}.
 */
@TestNode
class ShutdownErrorTest {

    private final Node node;
    private final Events events = new Events();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    ShutdownErrorTest(Node node) {
        this.node = node;
    }

    /** A child that traps exits and, asked to stop, ends with {@code reason} instead. */
    private static Behavior<TestWorker.Cmd> endsWith(ExitReason reason) {
        return Behaviors.setup(ctx -> {
            ctx.trapExits(true);
            return Behaviors.receive(msg -> Behaviors.same(), (c, signal) ->
                    signal instanceof Signal.Exit ? Behaviors.stopped(reason) : Behaviors.same());
        });
    }

    private Pid<Supervisor.Msg> supervise(ChildSpec<?> child) {
        SupervisorListener listener = new SupervisorListener() {
            @Override
            public void restarting(String supervisor, String childId, ExitReason reason) {}

            @Override
            public void shutdownError(String supervisor, String childId, ExitReason reason) {
                errors.add(childId + ":" + reason);
            }
        };
        return Supervisor.start(node, SupervisorSpec.of(null, Strategy.ONE_FOR_ONE, List.of(child))
                .withListener(listener));
    }

    private void terminate(Pid<Supervisor.Msg> sup, String id) {
        assertThat(join(Supervisor.terminateChild(node, sup, Trees.pid(node, sup, id), CALL))).isTrue();
    }

    @Test
    @Timeout(30)
    void aChildThatEndsWithShutdownIsNoError() {
        Pid<Supervisor.Msg> sup = supervise(worker("w", events));
        eventually().until(() -> events.of("start").contains("w"));

        terminate(sup, "w");

        assertThat(errors).isEmpty();
    }

    @Test
    @Timeout(30)
    void aBrutallyKilledChildIsNoError() {
        Pid<Supervisor.Msg> sup = supervise(stubbornWorker("s", events, Shutdown.BRUTAL_KILL));
        eventually().until(() -> events.of("start").contains("s"));

        terminate(sup, "s");

        assertThat(errors).isEmpty();
    }

    @Test
    @Timeout(30)
    void aChildKilledAfterItsShutdownTimeoutIsAShutdownErrorWithKilled() {
        Pid<Supervisor.Msg> sup = supervise(stubbornWorker("s", events, Shutdown.timeout(Duration.ofMillis(50))));
        eventually().until(() -> events.of("start").contains("s"));

        terminate(sup, "s");

        assertThat(errors).containsExactly("s:killed");
    }

    @Test
    @Timeout(30)
    void aPermanentChildThatEndsNormallyWhenAskedToStopIsAShutdownError() {
        Pid<Supervisor.Msg> sup = supervise(ChildSpec.worker("p", () -> endsWith(ExitReason.NORMAL)));

        terminate(sup, "p");

        assertThat(errors).containsExactly("p:normal");
    }

    @Test
    @Timeout(30)
    void aTransientChildMayEndNormallyOrWithAShutdownTerm() {
        Pid<Supervisor.Msg> sup = supervise(ChildSpec.worker("t", () -> endsWith(ExitReason.NORMAL))
                .withRestart(Restart.TRANSIENT));
        terminate(sup, "t");
        Pid<Supervisor.Msg> sup2 = supervise(ChildSpec.worker("u", () -> endsWith(ExitReason.shutdown("bye")))
                .withRestart(Restart.TRANSIENT));
        terminate(sup2, "u");

        assertThat(errors).isEmpty();
    }

    @Test
    @Timeout(30)
    void aChildThatEndsWithAnotherReasonIsAShutdownErrorAndStillStopped() {
        Pid<Supervisor.Msg> sup = supervise(ChildSpec.worker("x", () -> endsWith(ExitReason.of("oops")))
                .withRestart(Restart.TRANSIENT));

        terminate(sup, "x");

        assertThat(errors).containsExactly("x:oops");
        assertThat(Trees.pids(node, sup)).containsEntry("x", null);
        assertThat(Trees.report(node, sup).restarts()).as("a stopped child is not restarted").isZero();
    }
}
