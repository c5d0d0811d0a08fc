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
 * W7: the seed's chat server. 1,000 client processes have joined one chat-server process (setup,
 * not measured). The run tells every client to post one line; each post goes to the server, which
 * broadcasts it (one message object, sent to every member) to all 1,000 clients, the poster
 * included: 1,000,000 deliveries. A client reports once it has seen all 1,000 lines; the run ends
 * when every client has.
 */
@State(Scope.Benchmark)
public class W7ChatServer extends WorkloadBench {
    public static final long UNITS = 1_000_000L;
    public static final String UNIT = "deliveries";
    static final int CLIENTS = 1_000;

    /** A line as broadcast to the members. */
    record Line(String from, String text) {}

    @Override
    protected Workload create(Runtimes rt) {
        return switch (rt.impl) {
            case Runtimes.MAILROOM -> new MailroomChat(rt);
            case Runtimes.PEKKO -> new PekkoChat(rt);
            default -> new VirtualChat();
        };
    }

    @Benchmark
    public void run() throws Exception {
        workload.run();
    }

    // ---------------------------------------------------------------- Mailroom

    sealed interface ServerMsg {}
    record Join(Pid<ClientMsg> client) implements ServerMsg {}
    record Post(String from, String text) implements ServerMsg {}

    sealed interface ClientMsg {}
    record Speak(String text) implements ClientMsg {}
    record Heard(Line line) implements ClientMsg {}

    static final class MailroomChat implements Workload {
        private final Runtimes rt;
        private final CountDownLatch joined = new CountDownLatch(CLIENTS);
        private final CountDownLatch done = new CountDownLatch(CLIENTS);
        private final Pid<ServerMsg> server;
        private final List<Pid<ClientMsg>> clients = new ArrayList<>(CLIENTS);

        MailroomChat(Runtimes rt) {
            this.rt = rt;
            server = rt.node.spawn(server(List.of()));
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(rt.node.spawn(client("user" + i)));
            }
        }

        /** The chat server keeps its members in its behaviour, as the seed's loop(Members) does. */
        private Behavior<ServerMsg> server(List<Pid<ClientMsg>> members) {
            return Behaviors.receive(msg -> switch (msg) {
                case Join(var client) -> {
                    List<Pid<ClientMsg>> more = new ArrayList<>(members.size() + 1);
                    more.addAll(members);
                    more.add(client);
                    joined.countDown();
                    yield server(more);
                }
                case Post(var from, var text) -> {
                    Heard heard = new Heard(new Line(from, text));
                    for (Pid<ClientMsg> member : members) {
                        member.send(heard);
                    }
                    yield Behaviors.same();
                }
            });
        }

        private Behavior<ClientMsg> client(String name) {
            int[] heard = {0};
            return Behaviors.receive(msg -> {
                switch (msg) {
                    case Speak(var text) -> server.send(new Post(name, text));
                    case Heard h -> {
                        if (++heard[0] == CLIENTS) {
                            done.countDown();
                        }
                    }
                }
                return Behaviors.same();
            });
        }

        @Override
        public void prepare() throws Exception {
            for (Pid<ClientMsg> c : clients) {
                server.send(new Join(c));
            }
            Runtimes.await(joined, "joining");
        }

        @Override
        public void run() throws Exception {
            Speak speak = new Speak("hello, everyone");
            for (Pid<ClientMsg> c : clients) {
                c.send(speak);
            }
            Runtimes.await(done, "chat");
        }

        @Override
        public void cleanup() throws Exception {
            rt.killAllProcesses();
        }
    }

    // ---------------------------------------------------------------- Pekko

    sealed interface PServerMsg {}
    record PJoin(ActorRef<PClientMsg> client) implements PServerMsg {}
    record PPost(String from, String text) implements PServerMsg {}

    sealed interface PClientMsg {}
    record PSpeak(String text) implements PClientMsg {}
    record PHeard(Line line) implements PClientMsg {}

    static final class PekkoChat implements Workload {
        private final Runtimes rt;
        private final CountDownLatch joined = new CountDownLatch(CLIENTS);
        private final CountDownLatch done = new CountDownLatch(CLIENTS);
        private final ActorRef<PServerMsg> server;
        private final List<ActorRef<PClientMsg>> clients;

        PekkoChat(Runtimes rt) {
            this.rt = rt;
            server = rt.inGuardian(ctx -> ctx.spawnAnonymous(server(List.of())));
            clients = rt.inGuardian(ctx -> {
                List<ActorRef<PClientMsg>> list = new ArrayList<>(CLIENTS);
                for (int i = 0; i < CLIENTS; i++) {
                    list.add(ctx.spawnAnonymous(client("user" + i)));
                }
                return list;
            });
        }

        private org.apache.pekko.actor.typed.Behavior<PServerMsg> server(List<ActorRef<PClientMsg>> members) {
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> switch (msg) {
                case PJoin(var client) -> {
                    List<ActorRef<PClientMsg>> more = new ArrayList<>(members.size() + 1);
                    more.addAll(members);
                    more.add(client);
                    joined.countDown();
                    yield server(more);
                }
                case PPost(var from, var text) -> {
                    PHeard heard = new PHeard(new Line(from, text));
                    for (ActorRef<PClientMsg> member : members) {
                        member.tell(heard);
                    }
                    yield org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                }
            });
        }

        private org.apache.pekko.actor.typed.Behavior<PClientMsg> client(String name) {
            int[] heard = {0};
            return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(msg -> {
                switch (msg) {
                    case PSpeak(var text) -> server.tell(new PPost(name, text));
                    case PHeard h -> {
                        if (++heard[0] == CLIENTS) {
                            done.countDown();
                        }
                    }
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            });
        }

        @Override
        public void prepare() throws Exception {
            for (ActorRef<PClientMsg> c : clients) {
                server.tell(new PJoin(c));
            }
            Runtimes.await(joined, "joining");
        }

        @Override
        public void run() throws Exception {
            PSpeak speak = new PSpeak("hello, everyone");
            for (ActorRef<PClientMsg> c : clients) {
                c.tell(speak);
            }
            Runtimes.await(done, "chat");
        }

        @Override
        public void cleanup() throws Exception {
            rt.stopAllActors();
        }
    }

    // ---------------------------------------------------------------- virtual threads

    sealed interface VServerMsg {}
    record VJoin(BlockingQueue<VClientMsg> client) implements VServerMsg {}
    record VPost(String from, String text) implements VServerMsg {}

    sealed interface VClientMsg {}
    record VSpeak(String text) implements VClientMsg {}
    record VHeard(Line line) implements VClientMsg {}

    static final class VirtualChat implements Workload {
        private final CountDownLatch joined = new CountDownLatch(CLIENTS);
        private final CountDownLatch done = new CountDownLatch(CLIENTS);
        private final BlockingQueue<VServerMsg> server = new LinkedBlockingQueue<>();
        private final List<BlockingQueue<VClientMsg>> clients = new ArrayList<>(CLIENTS);
        private final List<Thread> threads = new ArrayList<>(CLIENTS + 1);

        VirtualChat() {
            threads.add(Thread.startVirtualThread(() -> {
                List<BlockingQueue<VClientMsg>> members = new ArrayList<>();
                try {
                    while (true) {
                        switch (server.take()) {
                            case VJoin(var client) -> {
                                members.add(client);
                                joined.countDown();
                            }
                            case VPost(var from, var text) -> {
                                VHeard heard = new VHeard(new Line(from, text));
                                for (BlockingQueue<VClientMsg> member : members) {
                                    member.put(heard);
                                }
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    // cleanup
                }
            }));
            for (int i = 0; i < CLIENTS; i++) {
                BlockingQueue<VClientMsg> inbox = new LinkedBlockingQueue<>();
                String name = "user" + i;
                clients.add(inbox);
                threads.add(Thread.startVirtualThread(() -> {
                    int heard = 0;
                    try {
                        while (true) {
                            switch (inbox.take()) {
                                case VSpeak(var text) -> server.put(new VPost(name, text));
                                case VHeard h -> {
                                    if (++heard == CLIENTS) {
                                        done.countDown();
                                    }
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        // cleanup
                    }
                }));
            }
        }

        @Override
        public void prepare() throws Exception {
            for (BlockingQueue<VClientMsg> c : clients) {
                server.put(new VJoin(c));
            }
            Runtimes.await(joined, "joining");
        }

        @Override
        public void run() throws Exception {
            VSpeak speak = new VSpeak("hello, everyone");
            for (BlockingQueue<VClientMsg> c : clients) {
                c.put(speak);
            }
            Runtimes.await(done, "chat");
        }

        @Override
        public void cleanup() throws Exception {
            Runtimes.interruptAll(threads);
        }
    }
}
