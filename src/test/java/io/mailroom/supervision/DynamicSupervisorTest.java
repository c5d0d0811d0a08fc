package io.mailroom.supervision;

import static io.mailroom.supervision.TestWorker.worker;
import static io.mailroom.supervision.Trees.CALL;
import static io.mailroom.supervision.Trees.awaitReplaced;
import static io.mailroom.supervision.Trees.crash;
import static io.mailroom.testing.Waits.eventually;
import static io.mailroom.supervision.Trees.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.testing.TestNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A dynamic supervisor (Elixir's DynamicSupervisor): children come and go with startChild and terminateChild. */
@TestNode
class DynamicSupervisorTest {

    private final Node node;
    private final Events events = new Events();
    private Pid<Supervisor.Msg> sup;

    DynamicSupervisorTest(Node node) {
        this.node = node;
    }

    private Pid<Supervisor.Msg> startDynamic(SupervisorSpec spec) {
        sup = Supervisor.start(node, spec);
        return sup;
    }

    private Pid<?> started(ChildSpec<?> spec) {
        StartResult result = join(Supervisor.startChild(node, sup, spec, CALL));
        assertThat(result).isInstanceOf(StartResult.Started.class);
        return ((StartResult.Started) result).pid();
    }

    @Test
    @Timeout(30)
    void startChildStartsALinkedChildAndAnswersItsPid() {
        startDynamic(SupervisorSpec.dynamic("dyn"));

        Pid<?> a = started(worker("a", events));

        assertThat(a.isAlive()).isTrue();
        eventually().until(() -> events.of("start").contains("a"));
        assertThat(Trees.children(node, sup)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("a");
            assertThat(c.pid()).isEqualTo(a);
            assertThat(c.restart()).isEqualTo(Restart.PERMANENT);
            assertThat(c.type()).isEqualTo(ChildType.WORKER);
        });
        assertThat(node.info(a).orElseThrow().links()).contains(sup.toString());
    }

    @Test
    @Timeout(30)
    void whichChildrenListsChildrenInStartOrder() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events));
        Pid<?> b = started(worker("b", events));
        Pid<?> a2 = started(worker("a", events));

        assertThat(Trees.children(node, sup)).extracting(ChildInfo::pid).containsExactly(a, b, a2);
        assertThat(Trees.children(node, sup)).extracting(ChildInfo::id)
                .as("ids of dynamic children are labels, not keys").containsExactly("a", "b", "a");
    }

    @Test
    @Timeout(30)
    void countChildrenCountsWorkersAndSupervisors() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        started(worker("a", events));
        started(worker("b", events));
        started(ChildSpec.supervisor("sub", SupervisorSpec.dynamic(null)));

        ChildCounts counts = join(Supervisor.countChildren(node, sup, CALL));

        assertThat(counts).isEqualTo(new ChildCounts(3, 3, 1, 2));
    }

    @Test
    @Timeout(30)
    void terminateChildStopsTheChildWithShutdownAndForgetsIt() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events));
        Pid<?> b = started(worker("b", events));
        var aExit = node.whenExited(a);

        assertThat(join(Supervisor.terminateChild(node, sup, a, CALL))).isTrue();

        assertThat(join(aExit)).isEqualTo(ExitReason.SHUTDOWN);
        assertThat(Trees.children(node, sup)).extracting(ChildInfo::pid).containsExactly(b);
        assertThat(join(Supervisor.countChildren(node, sup, CALL))).isEqualTo(new ChildCounts(1, 1, 0, 1));
    }

    @Test
    @Timeout(30)
    void terminateChildOfAPidThatIsNotAChildAnswersFalse() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events));
        join(Supervisor.terminateChild(node, sup, a, CALL));
        Pid<?> stranger = node.spawn(Behaviors.ignore());

        assertThat(join(Supervisor.terminateChild(node, sup, a, CALL))).as("already gone").isFalse();
        assertThat(join(Supervisor.terminateChild(node, sup, stranger, CALL))).as("never a child").isFalse();
        assertThat(stranger.isAlive()).isTrue();
    }

    @Test
    @Timeout(30)
    void maxChildrenRefusesOneChildMore() {
        startDynamic(SupervisorSpec.dynamic("dyn").withMaxChildren(2));
        started(worker("a", events));
        Pid<?> b = started(worker("b", events));

        StartResult third = join(Supervisor.startChild(node, sup, worker("c", events), CALL));

        assertThat(third).isEqualTo(new StartResult.Refused("max_children"));
        assertThat(Trees.children(node, sup)).hasSize(2);
        // a place freed is a place to take
        join(Supervisor.terminateChild(node, sup, b, CALL));
        assertThat(join(Supervisor.startChild(node, sup, worker("c", events), CALL)))
                .isInstanceOf(StartResult.Started.class);
    }

    @Test
    @Timeout(30)
    void aChildWhoseNameIsTakenGivesAlreadyStartedWithTheHolder() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> holder = node.spawn(Behaviors.ignore(), SpawnOptions.named("room:lobby"));

        StartResult result = join(Supervisor.startChild(node, sup,
                TestWorker.named(worker("lobby", events), "room:lobby"), CALL));

        assertThat(result).isEqualTo(new StartResult.AlreadyStarted(holder));
        assertThat(Trees.children(node, sup)).isEmpty();
    }

    @Test
    @Timeout(30)
    void startingANamedChildTwiceGivesAlreadyStartedWithTheFirst() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> first = started(TestWorker.named(worker("lobby", events), "room:lobby"));

        StartResult again = join(Supervisor.startChild(node, sup,
                TestWorker.named(worker("lobby", events), "room:lobby"), CALL));

        assertThat(again).isEqualTo(new StartResult.AlreadyStarted(first));
        assertThat(Trees.children(node, sup)).extracting(ChildInfo::pid).containsExactly(first);
        assertThat(node.whereis("room:lobby")).contains(first.narrow());
    }

    @Test
    @Timeout(30)
    void aTransientChildThatEndsNormallyIsForgotten() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events, Restart.TRANSIENT));
        started(worker("b", events));

        Trees.send(a, new TestWorker.StopWith(ExitReason.NORMAL));

        Trees.awaitForgotten(node, sup, "a");
        assertThat(Trees.ids(node, sup)).containsExactly("b");
        assertThat(Trees.report(node, sup).childCount()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void aTemporaryChildThatCrashesIsForgotten() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events, Restart.TEMPORARY));

        crash(node, a, "boom");

        Trees.awaitForgotten(node, sup, "a");
        assertThat(Trees.report(node, sup).restarts()).isZero();
    }

    @Test
    @Timeout(30)
    void aPermanentChildIsRestartedEvenAfterANormalExit() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events));

        Trees.send(a, new TestWorker.StopWith(ExitReason.NORMAL));

        Pid<?> again = awaitReplaced(node, sup, "a", a);
        assertThat(again.isAlive()).isTrue();
        assertThat(Trees.children(node, sup)).singleElement().satisfies(c -> assertThat(c.restarts()).isEqualTo(1));
    }

    @Test
    @Timeout(30)
    void aCrashedTransientChildIsRestartedAndKeepsItsPlace() {
        startDynamic(SupervisorSpec.dynamic("dyn"));
        Pid<?> a = started(worker("a", events, Restart.TRANSIENT));
        Pid<?> b = started(worker("b", events));

        crash(node, a, "boom");

        Pid<?> again = awaitReplaced(node, sup, "a", a);
        assertThat(Trees.children(node, sup)).extracting(ChildInfo::pid).containsExactly(again, b);
    }

    @Test
    @Timeout(30)
    void stoppingADynamicSupervisorStopsAllItsChildrenInNoDefinedOrder() {
        // OTP's terminate_dynamic_children: all children are asked at once and do their cleanup in
        // parallel, "therefore the order in which they are stopped is not defined"
        startDynamic(SupervisorSpec.dynamic("dyn"));
        started(worker("a", events));
        started(worker("b", events));
        started(worker("c", events));
        eventually().until(() -> events.of("start").size() == 3);

        join(Supervisor.stop(node, sup));

        assertThat(events.of("stop")).containsExactlyInAnyOrder("c", "b", "a");
    }

    @Test
    @Timeout(30)
    void childrenGivenAtStartAreStartedAsWell() {
        startDynamic(SupervisorSpec.dynamic("dyn").withChildren(() -> List.of(worker("boot", events))));

        eventually().until(() -> events.of("start").contains("boot"));
        assertThat(Trees.ids(node, sup)).containsExactly("boot");
    }

    @Test
    @Timeout(30)
    void aDynamicSupervisorIsOneForOne() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SupervisorSpec("x", Strategy.ONE_FOR_ALL,
                        Intensity.DEFAULT, List::of, true, 0, SupervisorListener.NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
