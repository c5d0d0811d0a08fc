package io.mailroom.bench;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Pid;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * W2 and W3: {@code pairs} independent pinger/ponger pairs, each playing {@code trips} round trips.
 * A ball carries its sender and the trips left; the ponger bounces it back, the pinger sends it
 * again with one trip less and counts the pair done when a ball comes back with none left. The
 * run sends each pinger its first ball and waits until every pair is done. Every hop allocates a
 * new ball, as real messages would.
 */
final class PingPong {
    private PingPong() {}

    static Workload create(Runtimes rt, int pairs, int trips) {
        return switch (rt.impl) {
            case Runtimes.MAILROOM -> new MailroomPingPong(rt, pairs, trips);
            case Runtimes.PEKKO -> new PekkoPingPong(rt, pairs, trips);
            default -> new VirtualPingPong(rt, pairs, trips);
        };
    }

    // ---------------------------------------------------------------- Mailroom

    record Ball(Pid<Ball> from, int left) {}

    static final class MailroomPingPong implements Workload {
        private final Runtimes rt;
        private final int trips;
        private final CountDownLatch done;
        private final List<Pid<Ball>> pingers = new ArrayList<>();
        private final List<Pid<Ball>> pongers = new ArrayList<>();

        MailroomPingPong(Runtimes rt, int pairs, int trips) {
            this.rt = rt;
            this.trips = trips;
            this.done = new CountDownLatch(pairs);
            Behavior<Ball> ponger = Behaviors.receive((ctx, ball) -> {
                ball.from().send(new Ball(ctx.self(), ball.left()));
                return Behaviors.same();
            });
            Behavior<Ball> pinger = Behaviors.receive((ctx, ball) -> {
                if (ball.left() == 0) {
                    done.countDown();
                } else {
                    ball.from().send(new Ball(ctx.self(), ball.left() - 1));
                }
                return Behaviors.same();
            });
            for (int i = 0; i < pairs; i++) {
                pingers.add(rt.node.spawn(pinger));
                pongers.add(rt.node.spawn(ponger));
            }
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < pingers.size(); i++) {
                pingers.get(i).send(new Ball(pongers.get(i), trips));
            }
            Runtimes.await(done, "ping-pong");
        }

        @Override
        public void cleanup() throws Exception {
            rt.killAllProcesses();
        }
    }

    // ---------------------------------------------------------------- Pekko

    record PBall(ActorRef<PBall> from, int left) {}

    static final class PekkoPingPong implements Workload {
        private final Runtimes rt;
        private final int trips;
        private final CountDownLatch done;
        private final List<ActorRef<PBall>> pingers = new ArrayList<>();
        private final List<ActorRef<PBall>> pongers = new ArrayList<>();

        PekkoPingPong(Runtimes rt, int pairs, int trips) {
            this.rt = rt;
            this.trips = trips;
            this.done = new CountDownLatch(pairs);
            org.apache.pekko.actor.typed.Behavior<PBall> ponger =
                    org.apache.pekko.actor.typed.javadsl.Behaviors.receive((ctx, ball) -> {
                        ball.from().tell(new PBall(ctx.getSelf(), ball.left()));
                        return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                    });
            org.apache.pekko.actor.typed.Behavior<PBall> pinger =
                    org.apache.pekko.actor.typed.javadsl.Behaviors.receive((ctx, ball) -> {
                        if (ball.left() == 0) {
                            done.countDown();
                        } else {
                            ball.from().tell(new PBall(ctx.getSelf(), ball.left() - 1));
                        }
                        return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                    });
            rt.inGuardian(ctx -> {
                for (int i = 0; i < pairs; i++) {
                    pingers.add(ctx.spawnAnonymous(pinger));
                    pongers.add(ctx.spawnAnonymous(ponger));
                }
                return null;
            });
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < pingers.size(); i++) {
                pingers.get(i).tell(new PBall(pongers.get(i), trips));
            }
            Runtimes.await(done, "ping-pong");
        }

        @Override
        public void cleanup() throws Exception {
            rt.stopAllActors();
        }
    }

    // ---------------------------------------------------------------- virtual threads

    record VBall(BlockingQueue<VBall> from, int left) {}

    static final class VirtualPingPong implements Workload {
        private final int trips;
        private final CountDownLatch done;
        private final List<BlockingQueue<VBall>> pingers = new ArrayList<>();
        private final List<BlockingQueue<VBall>> pongers = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        VirtualPingPong(Runtimes rt, int pairs, int trips) {
            this.trips = trips;
            this.done = new CountDownLatch(pairs);
            for (int i = 0; i < pairs; i++) {
                BlockingQueue<VBall> ping = new LinkedBlockingQueue<>();
                BlockingQueue<VBall> pong = new LinkedBlockingQueue<>();
                threads.add(Thread.startVirtualThread(() -> {
                    try {
                        while (true) {
                            VBall ball = pong.take();
                            ball.from().put(new VBall(pong, ball.left()));
                        }
                    } catch (InterruptedException e) {
                        // cleanup
                    }
                }));
                threads.add(Thread.startVirtualThread(() -> {
                    try {
                        while (true) {
                            VBall ball = ping.take();
                            if (ball.left() == 0) {
                                done.countDown();
                            } else {
                                ball.from().put(new VBall(ping, ball.left() - 1));
                            }
                        }
                    } catch (InterruptedException e) {
                        // cleanup
                    }
                }));
                pingers.add(ping);
                pongers.add(pong);
            }
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < pingers.size(); i++) {
                pingers.get(i).put(new VBall(pongers.get(i), trips));
            }
            Runtimes.await(done, "ping-pong");
        }

        @Override
        public void cleanup() throws Exception {
            Runtimes.interruptAll(threads);
        }
    }
}
