package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.WAIT;
import static io.mailroom.process.ProcessTesting.awaitEnded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Registered names, as Erlang's {@code register/2}, {@code whereis/1} and {@code unregister/1}. */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestNode
class RegistryTest {

    private final Node node;

    RegistryTest(Node node) {
        this.node = node;
    }

    @Test
    void whereis_finds_the_process_registered_under_a_name() {
        Probe probe = Probe.spawn(node);

        node.register("clerk", probe.pid());

        assertThat(node.<Object>whereis("clerk")).containsSame(probe.pid());
        assertThat(node.info(probe.pid()).orElseThrow().name()).isEqualTo("clerk");
    }

    @Test
    void a_message_sent_to_a_name_reaches_the_process_holding_it() {
        Probe probe = Probe.spawn(node);
        node.register("clerk", probe.pid());

        assertThat(node.send("clerk", "by name")).isTrue();

        assertThat(probe.next()).isEqualTo("by name");
    }

    @Test
    void a_message_sent_to_a_name_nobody_holds_is_dropped_and_counted() {
        long droppedBefore = node.stats().messagesDropped();

        assertThat(node.send("nobody", "lost")).isFalse();

        assertThat(node.stats().messagesDropped()).isEqualTo(droppedBefore + 1);
    }

    @Test
    void whereis_finds_nothing_for_a_name_nobody_holds() {
        assertThat(node.whereis("nobody")).isEmpty();
    }

    @Test
    void unregister_frees_the_name_and_the_process_keeps_running() {
        Probe probe = Probe.spawn(node);
        node.register("clerk", probe.pid());

        node.unregister("clerk");

        assertThat(node.whereis("clerk")).isEmpty();
        assertThat(node.info(probe.pid()).orElseThrow().name()).isNull();
        assertThat(probe.answers()).isTrue();
        node.register("clerk", Probe.spawn(node).pid()); // free for another
    }

    @Test
    void a_name_is_freed_when_its_process_ends() {
        Probe first = Probe.spawn(node);
        node.register("clerk", first.pid());

        first.stop(ExitReason.of("quit"));
        awaitEnded(node, first.pid());

        assertThat(node.whereis("clerk")).isEmpty();
        assertThat(node.registered()).doesNotContainKey("clerk");
        Probe second = Probe.spawn(node);
        node.register("clerk", second.pid());
        assertThat(node.<Object>whereis("clerk")).containsSame(second.pid());
    }

    @Test
    void registering_a_name_that_a_live_process_holds_throws_name_taken() {
        Probe holder = Probe.spawn(node);
        Probe other = Probe.spawn(node);
        node.register("clerk", holder.pid());

        assertThatThrownBy(() -> node.register("clerk", other.pid()))
                .isInstanceOfSatisfying(NameTakenException.class, e -> {
                    assertThat(e.name()).isEqualTo("clerk");
                    assertThat(e.holder()).isSameAs(holder.pid());
                });
        assertThat(node.<Object>whereis("clerk")).containsSame(holder.pid());
    }

    @Test
    void a_process_holds_at_most_one_name() {
        Probe probe = Probe.spawn(node);
        node.register("first", probe.pid());

        assertThatThrownBy(() -> node.register("second", probe.pid())).isInstanceOf(IllegalStateException.class);
        assertThat(node.whereis("second")).isEmpty();
    }

    @Test
    void a_dead_process_cannot_be_registered() {
        Probe probe = Probe.spawn(node);
        probe.stop(ExitReason.NORMAL);
        awaitEnded(node, probe.pid());

        assertThatThrownBy(() -> node.register("ghost", probe.pid())).isInstanceOf(IllegalStateException.class);
        assertThat(node.whereis("ghost")).isEmpty();
        assertThat(node.registered()).doesNotContainKey("ghost");
    }

    @Test
    void an_empty_name_is_refused() {
        Probe probe = Probe.spawn(node);

        assertThatThrownBy(() -> node.register("", probe.pid())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_process_can_register_itself() {
        Probe probe = Probe.spawn(node);

        probe.inside(ctx -> {
            ctx.register("self-made");
            return null;
        });

        assertThat(node.<Object>whereis("self-made")).containsSame(probe.pid());
    }

    @Test
    void spawn_with_a_name_registers_the_process_before_it_returns() {
        Pid<String> pid = node.spawn(Behaviors.receive(m -> Behaviors.same()), SpawnOptions.named("clerk"));

        assertThat(node.<String>whereis("clerk")).containsSame(pid);
    }

    @Test
    void spawn_with_a_taken_name_throws_and_spawns_nothing() {
        Probe holder = Probe.spawn(node, SpawnOptions.named("clerk"));
        int alive = node.processCount();
        long spawned = node.stats().spawned();

        assertThatThrownBy(() -> node.spawn(Behaviors.receive(m -> Behaviors.same()), SpawnOptions.named("clerk")))
                .isInstanceOf(NameTakenException.class);

        assertThat(node.processCount()).isEqualTo(alive);
        assertThat(node.stats().spawned()).isEqualTo(spawned);
        assertThat(node.<Object>whereis("clerk")).containsSame(holder.pid());
    }

    @Test
    void registered_lists_every_name_and_stats_count_them() {
        Probe a = Probe.spawn(node, SpawnOptions.named("a"));
        Probe b = Probe.spawn(node, SpawnOptions.named("b"));

        assertThat(node.registered()).containsOnlyKeys("a", "b").containsEntry("a", a.pid()).containsEntry("b", b.pid());
        assertThat(node.stats().registeredNames()).isEqualTo(2);
    }

    @Test
    void of_many_processes_racing_for_one_name_exactly_one_gets_it() throws InterruptedException {
        int racers = 8;
        for (int round = 0; round < 50; round++) {
            String name = "prize-" + round;
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger winners = new AtomicInteger();
            AtomicInteger losers = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                Pid<Object> pid = Probe.spawn(node).pid();
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        node.register(name, pid);
                        winners.incrementAndGet();
                    } catch (NameTakenException e) {
                        losers.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join(WAIT.toMillis());
            }

            assertThat(winners).hasValue(1);
            assertThat(losers).hasValue(racers - 1);
        }
    }
}
