package io.mailroom.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.examples.Chat.ClientMsg;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import io.mailroom.testing.Waits;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The post's programs, asserted against what the BEAM prints (../shared/seed/beam/*OUTPUT.txt). */
@TestNode
class PostExamplesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private final Node node;

    PostExamplesTest(Node node) {
        this.node = node;
    }

    @Test
    void counter_prints_2_after_three_increments_and_one_decrement() {
        // COUNTER_OUTPUT.txt: "Counter value: 2"
        Pid<Counter.Msg> c = Counter.start(node);
        c.send(new Counter.Increment());
        c.send(new Counter.Increment());
        c.send(new Counter.Increment());
        c.send(new Counter.Decrement());
        long n = node.<Counter.Msg, Long>call(c, Counter.Get::new, TIMEOUT).join();
        assertThat("Counter value: " + n).isEqualTo("Counter value: 2");
    }

    @Test
    void supervised_counter_comes_back_at_0_after_a_crash() throws Exception {
        SupervisedCounter.start(node);
        Pid<Counter.Msg> first = await(() -> node.<Counter.Msg>whereis(SupervisedCounter.NAME).orElse(null));
        first.send(new Counter.Increment());
        first.send(new Counter.Increment());
        assertThat(node.<Counter.Msg, Long>call(first, Counter.Get::new, TIMEOUT).join()).isEqualTo(2L);
        first.send(new Counter.Crash());
        Pid<Counter.Msg> second = await(() -> node.<Counter.Msg>whereis(SupervisedCounter.NAME)
                .filter(p -> !p.equals(first)).orElse(null));
        assertThat(node.<Counter.Msg, Long>call(second, Counter.Get::new, TIMEOUT).join()).isEqualTo(0L);
    }

    @Test
    void the_posts_broadcast_sends_every_line_back_to_its_sender_too() throws Exception {
        Queue<String> out = runChat(false);
        // OUTPUT.txt: the joins reach the clients registered so far (Ada sees three, Charles one), each line all three.
        assertThat(count(out, "[server] Ada joined the chat")).isEqualTo(1L);
        assertThat(count(out, "[server] Bob joined the chat")).isEqualTo(2L);
        assertThat(count(out, "[server] Charles joined the chat")).isEqualTo(3L);
        for (String who : List.of("Ada", "Bob", "Charles")) {
            assertThat(count(out, "[" + who + "] Hello from " + who)).isEqualTo(3L);
            assertThat(count(out, "Client message received: Send[message=Hello from " + who + "]")).isEqualTo(1L);
        }
        assertThat(count(out, "Ada joined the chat")).isEqualTo(1L);
    }

    @Test
    void the_exercise_solved_sends_every_line_to_exactly_the_other_two_in_order() throws Exception {
        Queue<String> out = runChat(true);
        for (String who : List.of("Ada", "Bob", "Charles")) {
            assertThat(count(out, "[" + who + "] Hello from " + who)).isEqualTo(2L);
        }
    }

    @Test
    void each_client_sees_the_others_lines_in_the_order_they_were_sent() throws Exception {
        Queue<String> server = new ConcurrentLinkedQueue<>();
        var chat = ChatServer.start(node, true, server::add);
        Queue<String> ada = new ConcurrentLinkedQueue<>();
        Queue<String> bob = new ConcurrentLinkedQueue<>();
        Pid<ClientMsg> a = ChatClient.start(node, chat, "Ada", ada::add);
        await(() -> server.contains("Ada joined the chat") ? true : null);
        Pid<ClientMsg> b = ChatClient.start(node, chat, "Bob", bob::add);
        await(() -> server.contains("Bob joined the chat") ? true : null);
        for (int i = 0; i < 20; i++) {
            ChatClient.sendMessage(a, "line " + i);
        }
        await(() -> count(bob, "[Ada] line 19") == 1 ? true : null);
        List<String> lines = bob.stream().filter(l -> l.startsWith("[Ada]")).toList();
        assertThat(lines).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, 20).mapToObj(i -> "[Ada] line " + i).toList());
        assertThat(ada.stream().filter(l -> l.startsWith("[Ada]"))).isEmpty();
        assertThat(b.isAlive()).isTrue();
    }

    /** run_chat.exs, waiting for each join before starting the next client (the BEAM's order). */
    private Queue<String> runChat(boolean skipSender) throws Exception {
        Queue<String> out = new ConcurrentLinkedQueue<>();
        var server = ChatServer.start(node, skipSender, out::add);
        var clients = new java.util.ArrayList<Pid<ClientMsg>>();
        for (String who : List.of("Ada", "Bob", "Charles")) {
            clients.add(ChatClient.start(node, server, who, out::add));
            await(() -> out.contains(who + " joined the chat") ? true : null);
        }
        ChatClient.sendMessage(clients.get(0), "Hello from Ada");
        ChatClient.sendMessage(clients.get(1), "Hello from Bob");
        ChatClient.sendMessage(clients.get(2), "Hello from Charles");
        int expected = skipSender ? 2 : 3;
        await(() -> List.of("Ada", "Bob", "Charles").stream()
                .allMatch(w -> count(out, "[" + w + "] Hello from " + w) >= expected) ? true : null);
        int settled = out.size();
        Awaitility.await().during(Duration.ofMillis(200)).atMost(TIMEOUT).until(() -> out.size() == settled); // no more arrive
        return out;
    }

    private static long count(Queue<String> out, String line) {
        return out.stream().filter(Predicate.isEqual(line)).count();
    }

    private static <T> T await(java.util.function.Supplier<T> probe) {
        return Waits.eventually().until(probe::get, java.util.Objects::nonNull);
    }
}
