package io.mailroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SmokeTest {
    sealed interface Msg {}
    record Inc(long by) implements Msg {}
    record Get(Pid<Long> replyTo) implements Msg {}

    static Behavior<Msg> counting(long n) {
        return Behaviors.receive(msg -> switch (msg) {
            case Inc(var by) -> counting(n + by);
            case Get(var replyTo) -> {
                replyTo.send(n);
                yield Behaviors.same();
            }
        });
    }

    @Test
    void counterCountsAndReplies() {
        try (Node node = Node.start()) {
            Pid<Msg> c = node.spawn(counting(0));
            for (int i = 0; i < 1000; i++) c.send(new Inc(1));
            long v = node.<Msg, Long>call(c, Get::new, Duration.ofSeconds(5)).join();
            assertThat(v).isEqualTo(1000);
        }
    }

    record Ping(Pid<Ping> from, int n) {}

    @Test
    void pingPong() throws Exception {
        try (Node node = Node.start()) {
            CountDownLatch done = new CountDownLatch(1);
            Behavior<Ping> ponger = Behaviors.receive((ctx, p) -> { p.from().send(new Ping(ctx.self(), p.n())); return Behaviors.same(); });
            Pid<Ping> pong = node.spawn(ponger);
            Pid<Ping> ping = node.spawn(Behaviors.receive((ctx, p) -> {
                if (p.n() == 1_000_000) { done.countDown(); return Behaviors.stopped(); }
                pong.send(new Ping(ctx.self(), p.n() + 1));
                return Behaviors.same();
            }));
            long t0 = System.nanoTime();
            ping.send(new Ping(pong, 0));
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            System.out.println("1M round trips in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }
}
