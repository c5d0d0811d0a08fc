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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * W5: a ring of 10,000 processes; one token goes round 100 times (1,000,000 hops). Each member
 * passes the token to the next with one hop less; the member that gets it with none left ends
 * the run. Setting up the ring (each member told its successor) is outside the measured time.
 */
@State(Scope.Benchmark)
public class W5Ring extends WorkloadBench {
    public static final long UNITS = 1_000_000L;
    public static final String UNIT = "hops";
    static final int MEMBERS = 10_000;
    static final int HOPS = MEMBERS * 100;

    sealed interface RingMsg {}
    record Next(Pid<RingMsg> next) implements RingMsg {}
    record Token(int left) implements RingMsg {}

    sealed interface PRingMsg {}
    record PNext(ActorRef<PRingMsg> next) implements PRingMsg {}
    record PToken(int left) implements PRingMsg {}

    record VToken(int left) {}

    @Override
    protected Workload create(Runtimes rt) {
        return switch (rt.impl) {
            case Runtimes.MAILROOM -> new MailroomRing(rt);
            case Runtimes.PEKKO -> new PekkoRing(rt);
            default -> new VirtualRing();
        };
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }

    static final class MailroomRing implements Workload {
        private final Runtimes rt;
        private final CountDownLatch linked = new CountDownLatch(MEMBERS);
        private final CountDownLatch done = new CountDownLatch(1);
        private final List<Pid<RingMsg>> members = new ArrayList<>(MEMBERS);

        MailroomRing(Runtimes rt) {
            this.rt = rt;
            Behavior<RingMsg> member = Behaviors.receive(msg -> switch (msg) {
                case Next(var next) -> {
                    linked.countDown();
                    yield forwarding(next);
                }
                case Token t -> throw new IllegalStateException("token before the ring was closed");
            });
            for (int i = 0; i < MEMBERS; i++) {
                members.add(rt.node.spawn(member));
            }
        }

        private Behavior<RingMsg> forwarding(Pid<RingMsg> next) {
            return Behaviors.receive(msg -> {
                if (msg instanceof Token(int left)) {
                    if (left == 0) {
                        done.countDown();
                    } else {
                        next.send(new Token(left - 1));
                    }
                }
                return Behaviors.same();
            });
        }

        @Override
        public void prepare() throws Exception {
            for (int i = 0; i < MEMBERS; i++) {
                members.get(i).send(new Next(members.get((i + 1) % MEMBERS)));
            }
            Runtimes.await(linked, "closing the ring");
        }

        @Override
        public void run() throws Exception {
            members.get(0).send(new Token(HOPS));
            Runtimes.await(done, "ring");
        }

        @Override
        public void cleanup() throws Exception {
            rt.killAllProcesses();
        }
    }

    static final class PekkoRing implements Workload {
        private final Runtimes rt;
        private final CountDownLatch linked = new CountDownLatch(MEMBERS);
        private final CountDownLatch done = new CountDownLatch(1);
        private final List<ActorRef<PRingMsg>> members;

        PekkoRing(Runtimes rt) {
            this.rt = rt;
            org.apache.pekko.actor.typed.Behavior<PRingMsg> member =
                    org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> switch (msg) {
                        case PNext(var next) -> {
                            linked.countDown();
                            yield forwarding(next);
                        }
                        case PToken t -> throw new IllegalStateException("token before the ring was closed");
                    });
            members = rt.inGuardian(ctx -> {
                List<ActorRef<PRingMsg>> list = new ArrayList<>(MEMBERS);
                for (int i = 0; i < MEMBERS; i++) {
                    list.add(ctx.spawnAnonymous(member));
                }
                return list;
            });
        }

        private org.apache.pekko.actor.typed.Behavior<PRingMsg> forwarding(ActorRef<PRingMsg> next) {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> {
                if (msg instanceof PToken(int left)) {
                    if (left == 0) {
                        done.countDown();
                    } else {
                        next.tell(new PToken(left - 1));
                    }
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            });
        }

        @Override
        public void prepare() throws Exception {
            for (int i = 0; i < MEMBERS; i++) {
                members.get(i).tell(new PNext(members.get((i + 1) % MEMBERS)));
            }
            Runtimes.await(linked, "closing the ring");
        }

        @Override
        public void run() throws Exception {
            members.get(0).tell(new PToken(HOPS));
            Runtimes.await(done, "ring");
        }

        @Override
        public void cleanup() throws Exception {
            rt.stopAllActors();
        }
    }

    static final class VirtualRing implements Workload {
        private final CountDownLatch done = new CountDownLatch(1);
        private final List<BlockingQueue<VToken>> inboxes = new ArrayList<>(MEMBERS);
        private final List<Thread> threads = new ArrayList<>(MEMBERS);

        VirtualRing() {
            for (int i = 0; i < MEMBERS; i++) {
                inboxes.add(new LinkedBlockingQueue<>());
            }
            for (int i = 0; i < MEMBERS; i++) {
                BlockingQueue<VToken> inbox = inboxes.get(i);
                BlockingQueue<VToken> next = inboxes.get((i + 1) % MEMBERS);
                threads.add(Thread.startVirtualThread(() -> {
                    try {
                        while (true) {
                            int left = inbox.take().left();
                            if (left == 0) {
                                done.countDown();
                            } else {
                                next.put(new VToken(left - 1));
                            }
                        }
                    } catch (InterruptedException e) {
                        // cleanup
                    }
                }));
            }
        }

        @Override
        public void run() throws Exception {
            inboxes.get(0).put(new VToken(HOPS));
            Runtimes.await(done, "ring");
        }

        @Override
        public void cleanup() throws Exception {
            Runtimes.interruptAll(threads);
        }
    }
}
