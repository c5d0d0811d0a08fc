package io.mailroom.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a request finds a counter's next process without polling the registry: each incarnation
 * hands its pid to the catalog entry as it starts, and a caller that found the last one dead waits
 * on a future the next start completes (or a delete fails).
 */
@Timeout(30)
@TestNode
class CounterIncarnationTest {
    private final Node node;
    private final CounterCatalog.Entry entry = new CounterCatalog.Entry("c", 0);

    CounterIncarnationTest(Node node) {
        this.node = node;
    }

    private Pid<Counter.Msg> process() {
        return node.spawn(Behaviors.<Counter.Msg>ignore());
    }

    @Test
    void theFirstStartCompletesWhatWasWaitingForIt() {
        CompletableFuture<Pid<Counter.Msg>> waiting = entry.current();
        assertThat(waiting).isNotDone();
        Pid<Counter.Msg> first = process();
        entry.started(first);
        assertThat(waiting).isCompletedWithValue(first);
        assertThat(entry.current()).isCompletedWithValue(first);
        assertThat(entry.restarts()).isZero();
    }

    @Test
    void aCallerThatFoundTheProcessDeadGetsTheNextOneOnceItStarts() {
        Pid<Counter.Msg> first = process();
        entry.started(first);
        CompletableFuture<Pid<Counter.Msg>> next = entry.after(first);
        assertThat(next).isNotDone();
        assertThat(entry.after(first)).isSameAs(next); // every caller waits on the same start
        Pid<Counter.Msg> second = process();
        entry.started(second);
        assertThat(next).isCompletedWithValue(second);
        assertThat(entry.restarts()).isOne();
    }

    @Test
    void aStartThatCameFirstIsFoundAtOnce() {
        Pid<Counter.Msg> first = process();
        entry.started(first);
        Pid<Counter.Msg> second = process();
        entry.started(second); // the restart happened before the caller saw the first one die
        assertThat(entry.after(first)).isCompletedWithValue(second);
        assertThat(entry.current()).isCompletedWithValue(second);
    }

    @Test
    void aDeleteFailsWhoeverWaitsForANextProcessWithNotFound() {
        Pid<Counter.Msg> first = process();
        entry.started(first);
        CompletableFuture<Pid<Counter.Msg>> waiting = entry.after(first);
        entry.removed();
        assertThatThrownBy(waiting::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(CounterException.class,
                        e -> assertThat(e.kind()).isEqualTo(CounterException.Kind.NOT_FOUND));
        // and so does a caller that comes after the delete
        assertThat(entry.after(first)).isCompletedExceptionally();
    }
}
