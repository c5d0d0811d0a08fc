package io.mailroom.bench;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.PostStop;

/**
 * W1's population: {@code n} idle processes that wait for a message. Any message stops one; it
 * counts itself on {@link #ended} as it ends (Mailroom and Pekko: their {@code PostStop} signal;
 * virtual threads: the last thing the thread does). All processes share one behaviour object, so
 * what each one costs is the runtime's own bookkeeping.
 *
 * <p>The handle arrays are allocated in the constructor, before anything is spawned, so that
 * {@link W1Memory} does not count them.
 *
 * <p>Pekko: the actors are spawned under {@value #PEKKO_HOSTS} host actors, each spawning its share
 * in parallel, rather than all under one parent: a Pekko parent keeps its children in an immutable
 * sorted map, and a million children under one parent took 3 to 5 times longer to spawn (16 to 32 s
 * against 7 to 12 s on the benchmark machine). The hosts are spawned in the measured spawn and
 * stopped in the measured stop.
 */
final class IdleProcesses {
    static final Object STOP = "stop";
    static final int PEKKO_HOSTS = 1000;

    private final Runtimes rt;
    private final int n;
    private final CountDownLatch ended;
    private final Pid<Object>[] pids;
    private final ActorRef<Object>[] refs;
    private final LinkedBlockingQueue<Object>[] queues;
    private final Thread[] threads;
    private List<ActorRef<Runtimes.GuardianCmd>> hosts;
    private boolean spawned;

    @SuppressWarnings("unchecked")
    IdleProcesses(Runtimes rt, int n) {
        this.rt = rt;
        this.n = n;
        this.ended = new CountDownLatch(n);
        this.pids = rt.impl.equals(Runtimes.MAILROOM) ? new Pid[n] : null;
        this.refs = rt.impl.equals(Runtimes.PEKKO) ? new ActorRef[n] : null;
        this.queues = rt.impl.equals(Runtimes.VTHREADS) ? new LinkedBlockingQueue[n] : null;
        this.threads = rt.impl.equals(Runtimes.VTHREADS) ? new Thread[n] : null;
    }

    /** Spawns all {@code n}: returns when every spawn call has returned. */
    void spawnAll() {
        switch (rt.impl) {
            case Runtimes.MAILROOM -> {
                Node node = rt.node;
                Behavior<Object> idle = mailroomIdle(ended);
                for (int i = 0; i < n; i++) {
                    pids[i] = node.spawn(idle);
                }
            }
            case Runtimes.PEKKO -> {
                org.apache.pekko.actor.typed.Behavior<Object> idle = pekkoIdle(ended);
                int k = Math.min(PEKKO_HOSTS, n);
                hosts = rt.inGuardian(ctx -> {
                    List<ActorRef<Runtimes.GuardianCmd>> list = new ArrayList<>(k);
                    for (int j = 0; j < k; j++) {
                        list.add(ctx.spawnAnonymous(Runtimes.host()));
                    }
                    return list;
                });
                List<CompletableFuture<Object>> spawning = new ArrayList<>(k);
                for (int j = 0; j < k; j++) {
                    int from = (int) ((long) n * j / k);
                    int to = (int) ((long) n * (j + 1) / k);
                    spawning.add(Runtimes.inActor(hosts.get(j), ctx -> {
                        for (int i = from; i < to; i++) {
                            refs[i] = ctx.spawnAnonymous(idle);
                        }
                        return null;
                    }));
                }
                Runtimes.join(CompletableFuture.allOf(spawning.toArray(CompletableFuture[]::new)));
            }
            default -> {
                CountDownLatch done = ended;
                for (int i = 0; i < n; i++) {
                    LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>();
                    queues[i] = q;
                    threads[i] = Thread.startVirtualThread(() -> {
                        try {
                            q.take();
                        } catch (InterruptedException e) {
                            // stopped
                        } finally {
                            done.countDown();
                        }
                    });
                }
            }
        }
        spawned = true;
    }

    /**
     * Sends every process a stop message and returns when all have ended: counted down, and gone
     * from the runtime (Mailroom: the process table; Pekko: the guardian's children; virtual
     * threads: joined).
     */
    void stopAll() throws InterruptedException {
        if (!spawned) {
            return;
        }
        switch (rt.impl) {
            case Runtimes.MAILROOM -> {
                for (int i = 0; i < n; i++) {
                    pids[i].send(STOP);
                }
                Runtimes.await(ended, "stopping");
                rt.awaitNoProcesses();
            }
            case Runtimes.PEKKO -> {
                for (int i = 0; i < n; i++) {
                    refs[i].tell(STOP);
                }
                Runtimes.await(ended, "stopping");
                for (ActorRef<Runtimes.GuardianCmd> host : hosts) {
                    while (Runtimes.join(Runtimes.inActor(host, ctx -> ctx.getChildren().size())) > 0) {
                        Thread.sleep(1);
                    }
                }
                rt.stopAllActors(); // the hosts
                hosts = null;
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    queues[i].offer(STOP);
                }
                Runtimes.await(ended, "stopping");
                for (int i = 0; i < n; i++) {
                    threads[i].join(Duration.ofSeconds(Runtimes.TIMEOUT_SECONDS));
                }
            }
        }
        spawned = false;
    }

    /** Drops the handles (of processes already stopped), so that their memory can be reclaimed. */
    void release() {
        if (pids != null) {
            Arrays.fill(pids, null);
        }
        if (refs != null) {
            Arrays.fill(refs, null);
        }
        if (queues != null) {
            Arrays.fill(queues, null);
            Arrays.fill(threads, null);
        }
    }

    static Behavior<Object> mailroomIdle(CountDownLatch ended) {
        return Behaviors.<Object>receive(message -> Behaviors.stopped()).onSignal((ctx, signal) -> {
            if (signal instanceof Signal.PostStop) {
                ended.countDown();
            }
            return Behaviors.same();
        });
    }

    static org.apache.pekko.actor.typed.Behavior<Object> pekkoIdle(CountDownLatch ended) {
        return org.apache.pekko.actor.typed.javadsl.Behaviors.<Object>receive(
                (ctx, message) -> org.apache.pekko.actor.typed.javadsl.Behaviors.stopped(),
                (ctx, signal) -> {
                    if (signal instanceof PostStop) {
                        ended.countDown();
                    }
                    return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                });
    }
}
