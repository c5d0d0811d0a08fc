package io.mailroom.process;

import static io.mailroom.process.ProcessTesting.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Message order per sender, for interleavings jqwik chooses. (jqwik does not read JUnit's
 * {@code @Timeout}: every wait here is bounded by {@link ProcessTesting#WAIT}.)
 */
class MessageOrderPropertiesTest {

    private static Node node;

    @BeforeContainer
    static void startNode() {
        node = Node.start();
    }

    @AfterContainer
    static void stopNode() {
        node.shutdown();
    }

    enum Emit { NEXT }

    /** Sends its next numbered message to {@code target} each time it is told to. */
    static Behavior<Emit> emitter(int sender, Pid<MessagingTest.Numbered> target) {
        int[] next = {0};
        return Behaviors.receive(e -> {
            target.send(new MessagingTest.Numbered(sender, next[0]++));
            return Behaviors.same();
        });
    }

    @Property(tries = 60)
    void each_senders_messages_arrive_in_the_order_it_sent_them_however_senders_interleave(
            @ForAll @Size(min = 1, max = 400) List<@IntRange(min = 0, max = 5) Integer> whoSendsNext) {
        int senders = 6;
        CompletableFuture<Long> outOfOrder = new CompletableFuture<>();
        Pid<MessagingTest.Numbered> receiver =
                node.spawn(MessagingTest.orderChecker(senders, whoSendsNext.size(), outOfOrder));
        List<Pid<Emit>> emitters = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            emitters.add(node.spawn(emitter(s, receiver)));
        }

        for (int s : whoSendsNext) {
            emitters.get(s).send(Emit.NEXT);
        }

        assertThat(await(outOfOrder)).isZero();
        emitters.forEach(e -> node.exit(e, ExitReason.KILL));
        node.exit(receiver, ExitReason.KILL);
    }
}
