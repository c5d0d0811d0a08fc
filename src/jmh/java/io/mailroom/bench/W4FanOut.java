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
import org.openjdk.jmh.annotations.Warmup;

/**
 * W4: one publisher, 10,000 subscribers, 100 broadcasts (1,000,000 deliveries). The run sends the
 * publisher 100 {@code Publish} messages; for each it builds one event and sends that same event
 * to every subscriber. A subscriber counts its events and reports once it has all 100; the run
 * ends when all 10,000 have.
 *
 * <p>Warm-up is longer than the suite's: on 2 cores the JIT is still compiling for W4's first ~25
 * iterations (about 0.8 s of compile time, measured by {@link FanOutRegimes}), and a compiler
 * thread on one of the two cores makes those iterations 2-3x slower, so 4 warm-ups measured the
 * JIT, not the runtime.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 30)
public class W4FanOut extends WorkloadBench {
    public static final long UNITS = 1_000_000L;
    public static final String UNIT = "deliveries";
    static final int SUBSCRIBERS = 10_000;
    static final int BROADCASTS = 100;

    record Publish(int seq) {}
    record Event(int seq) {}

    @Override
    protected Workload create(Runtimes rt) {
        return switch (rt.impl) {
            case Runtimes.MAILROOM -> new MailroomFanOut(rt);
            case Runtimes.PEKKO -> new PekkoFanOut(rt);
            default -> new VirtualFanOut();
        };
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }

    static final class MailroomFanOut implements Workload {
        private final Runtimes rt;
        private final CountDownLatch done = new CountDownLatch(SUBSCRIBERS);
        private final Pid<Publish> publisher;

        MailroomFanOut(Runtimes rt) {
            this.rt = rt;
            List<Pid<Event>> subscribers = new ArrayList<>(SUBSCRIBERS);
            for (int i = 0; i < SUBSCRIBERS; i++) {
                subscribers.add(rt.node.spawn(subscriber()));
            }
            publisher = rt.node.spawn(publisher(List.copyOf(subscribers)));
        }

        private Behavior<Event> subscriber() {
            int[] seen = {0};
            return Behaviors.receive(event -> {
                if (++seen[0] == BROADCASTS) {
                    done.countDown();
                }
                return Behaviors.same();
            });
        }

        private static Behavior<Publish> publisher(List<Pid<Event>> subscribers) {
            return Behaviors.receive(publish -> {
                Event event = new Event(publish.seq());
                for (Pid<Event> s : subscribers) {
                    s.send(event);
                }
                return Behaviors.same();
            });
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < BROADCASTS; i++) {
                publisher.send(new Publish(i));
            }
            Runtimes.await(done, "fan-out");
        }

        @Override
        public void cleanup() throws Exception {
            rt.killAllProcesses();
        }
    }

    static final class PekkoFanOut implements Workload {
        private final Runtimes rt;
        private final CountDownLatch done = new CountDownLatch(SUBSCRIBERS);
        private final ActorRef<Publish> publisher;

        PekkoFanOut(Runtimes rt) {
            this.rt = rt;
            publisher = rt.inGuardian(ctx -> {
                List<ActorRef<Event>> subscribers = new ArrayList<>(SUBSCRIBERS);
                for (int i = 0; i < SUBSCRIBERS; i++) {
                    subscribers.add(ctx.spawnAnonymous(subscriber()));
                }
                return ctx.spawnAnonymous(publisher(List.copyOf(subscribers)));
            });
        }

        private org.apache.pekko.actor.typed.Behavior<Event> subscriber() {
            int[] seen = {0};
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receive((ctx, event) -> {
                if (++seen[0] == BROADCASTS) {
                    done.countDown();
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            });
        }

        private static org.apache.pekko.actor.typed.Behavior<Publish> publisher(List<ActorRef<Event>> subscribers) {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receive((ctx, publish) -> {
                Event event = new Event(publish.seq());
                for (ActorRef<Event> s : subscribers) {
                    s.tell(event);
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            });
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < BROADCASTS; i++) {
                publisher.tell(new Publish(i));
            }
            Runtimes.await(done, "fan-out");
        }

        @Override
        public void cleanup() throws Exception {
            rt.stopAllActors();
        }
    }

    static final class VirtualFanOut implements Workload {
        private final CountDownLatch done = new CountDownLatch(SUBSCRIBERS);
        private final List<Thread> threads = new ArrayList<>();
        private final BlockingQueue<Publish> publisher = new LinkedBlockingQueue<>();

        VirtualFanOut() {
            List<BlockingQueue<Event>> subscribers = new ArrayList<>(SUBSCRIBERS);
            for (int i = 0; i < SUBSCRIBERS; i++) {
                BlockingQueue<Event> inbox = new LinkedBlockingQueue<>();
                subscribers.add(inbox);
                threads.add(Thread.startVirtualThread(() -> {
                    try {
                        int seen = 0;
                        while (true) {
                            inbox.take();
                            if (++seen == BROADCASTS) {
                                done.countDown();
                            }
                        }
                    } catch (InterruptedException e) {
                        // cleanup
                    }
                }));
            }
            List<BlockingQueue<Event>> all = List.copyOf(subscribers);
            threads.add(Thread.startVirtualThread(() -> {
                try {
                    while (true) {
                        Event event = new Event(publisher.take().seq());
                        for (BlockingQueue<Event> s : all) {
                            s.put(event);
                        }
                    }
                } catch (InterruptedException e) {
                    // cleanup
                }
            }));
        }

        @Override
        public void run() throws Exception {
            for (int i = 0; i < BROADCASTS; i++) {
                publisher.put(new Publish(i));
            }
            Runtimes.await(done, "fan-out");
        }

        @Override
        public void cleanup() throws Exception {
            Runtimes.interruptAll(threads);
        }
    }
}
