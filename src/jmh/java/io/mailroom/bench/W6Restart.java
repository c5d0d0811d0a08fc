package io.mailroom.bench;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Intensity;
import io.mailroom.supervision.Strategy;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * W6: the supervisor restart cycle, 10,000 times: a driver pings a supervised child, the child
 * answers, the driver tells it to crash, its supervisor restarts it, and the restarted child
 * reports in (from its setup) so the next cycle pings the new incarnation. One cycle is
 * crash → restart → the restarted child answers a ping.
 *
 * <p>Mailroom: a one_for_one {@link Supervisor} with one permanent child (a new process, new pid,
 * each restart). Pekko: {@code Behaviors.supervise(child).onFailure(SupervisorStrategy.restart())}
 * (the same actor restarted in place). Virtual threads: a supervising thread that starts a new
 * child thread with a fresh queue whenever the last one died of an exception.
 */
@State(Scope.Benchmark)
public class W6Restart extends WorkloadBench {
    public static final long UNITS = 10_000L;
    public static final String UNIT = "restarts";
    static final int CYCLES = 10_000;

    sealed interface ChildMsg {}
    record Ping(Pid<DriverMsg> replyTo) implements ChildMsg {}
    record Crash() implements ChildMsg {}

    sealed interface DriverMsg {}
    record Up(Pid<ChildMsg> child) implements DriverMsg {}
    record Pong() implements DriverMsg {}

    sealed interface PChildMsg {}
    record PPing(ActorRef<PDriverMsg> replyTo) implements PChildMsg {}
    record PCrash() implements PChildMsg {}

    sealed interface PDriverMsg {}
    record PUp(ActorRef<PChildMsg> child) implements PDriverMsg {}
    record PPong() implements PDriverMsg {}

    /** The crash a child is told to have; no stack trace, so all three pay the same for it. */
    static final class Boom extends RuntimeException {
        Boom() {
            super("boom", null, false, false);
        }
    }

    @Override
    protected Workload create(Runtimes rt) {
        return switch (rt.impl) {
            case Runtimes.MAILROOM -> new MailroomRestarts(rt);
            case Runtimes.PEKKO -> new PekkoRestarts(rt);
            default -> new VirtualRestarts();
        };
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }

    static final class MailroomRestarts implements Workload {
        private final Runtimes rt;
        private final CountDownLatch done = new CountDownLatch(1);

        MailroomRestarts(Runtimes rt) {
            this.rt = rt;
        }

        private Behavior<DriverMsg> driving(int cyclesLeft) {
            return Behaviors.receive((ctx, msg) -> switch (msg) {
                case Up(var child) -> {
                    child.send(new Ping(ctx.self()));
                    yield cyclesLeft == 0 ? finished() : waitingForPong(child, cyclesLeft);
                }
                case Pong p -> throw new IllegalStateException("pong before up");
            });
        }

        private Behavior<DriverMsg> waitingForPong(Pid<ChildMsg> child, int cyclesLeft) {
            return Behaviors.receive(msg -> {
                if (msg instanceof Pong) {
                    child.send(new Crash());
                    return driving(cyclesLeft - 1);
                }
                return Behaviors.unhandled();
            });
        }

        private Behavior<DriverMsg> finished() {
            return Behaviors.receive(msg -> {
                if (msg instanceof Pong) {
                    done.countDown();
                }
                return Behaviors.same();
            });
        }

        @Override
        public void run() throws Exception {
            // the driver is told of the first incarnation like of every later one: by its setup
            Pid<DriverMsg> d = rt.node.spawn(driving(CYCLES));
            Behavior<ChildMsg> child = Behaviors.setup(ctx -> {
                d.send(new Up(ctx.self()));
                return Behaviors.receive(msg -> switch (msg) {
                    case Ping(var replyTo) -> {
                        replyTo.send(new Pong());
                        yield Behaviors.same();
                    }
                    case Crash c -> throw new Boom();
                });
            });
            ChildSpec<ChildMsg> spec = ChildSpec.worker("child", () -> child).withOptions(SpawnOptions.ofType("bench"));
            Supervisor.start(rt.node, new SupervisorSpec(null, Strategy.ONE_FOR_ONE,
                    new Intensity(Integer.MAX_VALUE, Duration.ofSeconds(1)), () -> List.of(spec), false, 0,
                    (sup, id, reason) -> { }));
            Runtimes.await(done, "restart cycles");
        }

        @Override
        public void cleanup() throws Exception {
            rt.killAllProcesses();
        }
    }

    static final class PekkoRestarts implements Workload {
        private final Runtimes rt;
        private final CountDownLatch done = new CountDownLatch(1);

        PekkoRestarts(Runtimes rt) {
            this.rt = rt;
        }

        private org.apache.pekko.actor.typed.Behavior<PDriverMsg> driving(int cyclesLeft) {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receive((ctx, msg) -> switch (msg) {
                case PUp(var child) -> {
                    child.tell(new PPing(ctx.getSelf()));
                    yield cyclesLeft == 0 ? finished() : waitingForPong(child, cyclesLeft);
                }
                case PPong p -> throw new IllegalStateException("pong before up");
            });
        }

        private org.apache.pekko.actor.typed.Behavior<PDriverMsg> waitingForPong(ActorRef<PChildMsg> child,
                                                                                 int cyclesLeft) {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> {
                if (msg instanceof PPong) {
                    child.tell(new PCrash());
                    return driving(cyclesLeft - 1);
                }
                throw new IllegalStateException("up before pong");
            });
        }

        private org.apache.pekko.actor.typed.Behavior<PDriverMsg> finished() {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> {
                if (msg instanceof PPong) {
                    done.countDown();
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            });
        }

        @Override
        public void run() throws Exception {
            rt.inGuardian(ctx -> {
                ActorRef<PDriverMsg> d = ctx.spawnAnonymous(driving(CYCLES));
                org.apache.pekko.actor.typed.Behavior<PChildMsg> child =
                        org.apache.pekko.actor.typed.javadsl.Behaviors.setup(c -> {
                            d.tell(new PUp(c.getSelf()));
                            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> switch (msg) {
                                case PPing(var replyTo) -> {
                                    replyTo.tell(new PPong());
                                    yield org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                                }
                                case PCrash c2 -> throw new Boom();
                            });
                        });
                ctx.spawnAnonymous(org.apache.pekko.actor.typed.javadsl.Behaviors.supervise(child)
                        .onFailure(Boom.class, SupervisorStrategy.restart().withLoggingEnabled(false)));
                return null;
            });
            Runtimes.await(done, "restart cycles");
        }

        @Override
        public void cleanup() throws Exception {
            rt.stopAllActors();
        }
    }

    /** A supervising virtual thread restarting a child thread that died of an exception. */
    static final class VirtualRestarts implements Workload {
        private final BlockingQueue<Object> driverInbox = new LinkedBlockingQueue<>();
        private Thread supervisor;

        @Override
        public void prepare() {
            supervisor = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
                    Thread child = Thread.ofVirtual().start(() -> {
                        driverInbox.add(inbox); // "up": the driver gets this incarnation's queue
                        try {
                            while (true) {
                                Object msg = inbox.take();
                                if (msg instanceof Crash) {
                                    throw new Boom();
                                }
                                driverInbox.add(new Pong());
                            }
                        } catch (Boom e) {
                            // the child dies of it; its supervisor sees it end
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    try {
                        child.join(); // it died (of Boom): start the next incarnation
                    } catch (InterruptedException e) {
                        child.interrupt();
                        return;
                    }
                }
            });
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() throws Exception {
            BlockingQueue<Object> child = (BlockingQueue<Object>) driverInbox.take();
            for (int i = 0; i <= CYCLES; i++) {
                child.add(new Ping(null));
                if (!(driverInbox.take() instanceof Pong)) {
                    throw new IllegalStateException("expected a pong");
                }
                if (i == CYCLES) {
                    break;
                }
                child.add(new Crash());
                child = (BlockingQueue<Object>) driverInbox.take();
            }
        }

        @Override
        public void cleanup() throws Exception {
            supervisor.interrupt();
            supervisor.join();
        }
    }
}
