package io.mailroom.chat;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.NameTakenException;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildCounts;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One client connection: a process under the {@code sessions} supervisor (temporary: a crashed
 * session is not restarted; its socket is closed with 1011 and its name freed), registered as
 * {@code session:<user>}. The WebSocket handler turns each inbound frame into an {@link Inbound}
 * message; everything the client receives is written by this process, in order, through its
 * {@link ClientSocket}.
 *
 * <p>It applies the contract's stateful rules ({@code not_joined}, {@code too_many_rooms},
 * {@code invalid_text}, {@code rate_limited}, in that order) and talks to room processes. Every
 * request to a room stays in an "unconfirmed" queue until the room answers it; the session monitors
 * each room it talks to, and when a room's process ends it finds (or starts) the next one and sends
 * it the unconfirmed requests again, after a silent {@link Room.Rejoin} that brings any message it
 * missed. A room answers in order and dies between messages, never inside one, so a request is
 * either answered before the room's {@code DOWN} or not done at all: nothing is lost or done twice.
 * Messages are passed on only if their seq is beyond the last one passed on for that room, so the
 * client sees each room's seqs rise with no duplicate.
 */
public final class Session {
    /** Failed look-ups of a room in a row before the session gives up on it and crashes. */
    static final int MAX_ROOM_FAILURES = 20;
    /**
     * Ends of a room's process in a row, each with requests of this session unanswered, before the
     * session gives up and crashes: a request that kills every room it reaches (a poison message)
     * is then dropped with the session, before the restarts exceed the rooms supervisor's intensity.
     */
    static final int MAX_ROOM_DEATHS = 3;
    /**
     * Round trips to the rooms supervisor after a room crashed, before the session may ask it to
     * start the room: see {@link State#lookUp}.
     */
    static final int RESTART_BARRIERS = 2;

    private Session() {}

    /** What a session accepts. */
    public sealed interface Msg {}

    /** A frame from the client, decoded. */
    public record Inbound(ClientFrame frame) implements Msg {}

    /** The socket closed (the client went, or the container closed it). */
    public enum SocketClosed implements Msg { INSTANCE }

    /** A resume took this session's name over: close with 4000 "replaced" and end. */
    public enum Replaced implements Msg { INSTANCE }

    /** A room's answer to {@link Room.Join}: the encoded {@code joined} frame and the room's last seq then. */
    public record Joined(String room, long lastSeq, OutFrame frame) implements Msg {}

    /** A room's answer to {@link Room.Leave}. */
    public record Left(String room) implements Msg {}

    /** A room's answer to {@link Room.Post}: the message is stored as {@code seq}. */
    public record Accepted(String room, long seq, String ts, String ref) implements Msg {}

    /** A room's answer to a {@link Room.Post} from a session it does not have as a member. */
    public record NotMember(String room, String ref) implements Msg {}

    /**
     * A room's answer to a {@link Room.Post} ({@code join} false) or a {@link Room.Join} (true) it
     * could not do because the store that orders it across nodes cannot be reached (contract v1.1).
     */
    public record Unavailable(String room, String ref, boolean join) implements Msg {}

    /** A room's answer to {@link Room.Rejoin}: the stored messages from {@code firstSeq} on. */
    public record Rejoined(String room, long firstSeq, List<OutFrame> missed) implements Msg {}

    /**
     * A frame a room sends to all its members: a chat message ({@code seq > 0}) or a presence event
     * ({@code seq == 0}). One instance goes to every recipient.
     */
    public record Broadcast(String room, long seq, OutFrame frame) implements Msg {}

    private record RoomFound(String room, Pid<Room.Msg> pid, String failure) implements Msg {}

    private record Retry(String room) implements Msg {}

    /** The rooms supervisor answered a round trip made to be sure it has handled a room's end. */
    private record Barrier(String room) implements Msg {}


    /** The registered name of a user's session. */
    public static String processName(String user) {
        return "session:" + user;
    }

    /** How the sessions supervisor starts a session (never restarted). */
    public static ChildSpec<Msg> childSpec(SessionDirectory.Claim claim, ClientSocket socket, ChatContext chat) {
        return ChildSpec.<Msg>worker(processName(claim.user()), () -> start(claim, socket, chat))
                .withOptions(SpawnOptions.ofType("session"))
                .withRestart(Restart.TEMPORARY);
    }

    /** A new session: says {@code welcome} and takes its name (the transport keeps the connection alive with pings). */
    public static Behavior<Msg> start(SessionDirectory.Claim claim, ClientSocket socket, ChatContext chat) {
        return Behaviors.setup(ctx -> {
            State state = new State(claim, socket, chat, ctx);
            state.emit(chat.frames().welcome(claim.user(), claim.token()));
            state.register();
            return Behaviors.<Msg>receive(state::onMessage).onSignal(state::onSignal).describedBy(state::describe);
        });
    }

    /** A session's view of one room. */
    private static final class Link {
        final String room;
        /** The room's current process, or null while it is being looked up. */
        Pid<Room.Msg> pid;
        MonitorRef monitor;
        boolean resolving;
        int failures;
        /** Ends of the room's process in a row while this session had requests unanswered. */
        int deaths;
        /** Round trips to the rooms supervisor still to make before asking it to start the room. */
        int barriers;
        /** The client asked to be in the room (join) and has not asked to leave. */
        boolean wanted;
        /** The client has had {@code joined} and not {@code left}: messages are passed on. */
        boolean live;
        /** A Rejoin is on its way: messages are in its answer, so the live ones are not passed on. */
        boolean rejoining;
        /** The highest seq passed on to the client. */
        long lastSeq;
        /** Requests the room has not answered yet, in the order sent. */
        final ArrayDeque<Room.Msg> unconfirmed = new ArrayDeque<>();

        Link(String room) {
            this.room = room;
        }
    }

    /** The session's state; touched only on its own turns. */
    private static final class State {
        final SessionDirectory.Claim claim;
        final String user;
        final ClientSocket socket;
        final ChatContext chat;
        final Frames frames;
        final ProcessContext<Msg> ctx;
        final Pid<Msg> self;
        final Map<String, Link> rooms = new HashMap<>();
        final Map<MonitorRef, Link> byMonitor = new HashMap<>();
        final TokenBucket bucket;
        final TokenBucket joinBucket;
        int wanted;
        MonitorRef nameHolder;
        boolean ending;

        State(SessionDirectory.Claim claim, ClientSocket socket, ChatContext chat, ProcessContext<Msg> ctx) {
            this.claim = claim;
            this.user = claim.user();
            this.socket = socket;
            this.chat = chat;
            this.frames = chat.frames();
            this.ctx = ctx;
            this.self = ctx.self();
            long now = System.nanoTime();
            this.bucket = new TokenBucket(chat.settings().rate().capacity(), chat.settings().rate().refillPerSecond(), now);
            this.joinBucket = new TokenBucket(chat.settings().joinRate().capacity(),
                    chat.settings().joinRate().refillPerSecond(), now);
        }

        /** For the process page: the user and the rooms asked for, each with where it stands. */
        Map<String, Object> describe() {
            List<Map<String, Object>> list = new ArrayList<>();
            rooms.values().stream().sorted(Comparator.comparing(l -> l.room)).forEach(l -> {
                Map<String, Object> room = new LinkedHashMap<>();
                room.put("room", l.room);
                room.put("pid", l.pid == null ? null : l.pid.toString());
                room.put("joined", l.live);
                room.put("lastSeq", l.lastSeq);
                room.put("unconfirmed", l.unconfirmed.size());
                list.add(room);
            });
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("user", user);
            d.put("rooms", list);
            return d;
        }

        /** Takes the name {@code session:<user>}; if the replaced session still holds it, when that one ends. */
        void register() {
            try {
                ctx.register(processName(user));
            } catch (NameTakenException e) {
                if (e.holder() != null) {
                    nameHolder = ctx.monitor(e.holder());
                }
            } catch (IllegalStateException e) {
                // already named or ending: nothing to do
            }
        }

        void emit(OutFrame frame) {
            if (!socket.send(frame)) {
                ending = true; // closed, or closing as a slow consumer
            }
        }

        private void error(String code, String message, String ref) {
            emit(frames.error(code, message, ref));
        }

        Behavior<Msg> onMessage(ProcessContext<Msg> ctx, Msg msg) {
            switch (msg) {
                case Inbound(var frame) -> handle(frame);
                case SocketClosed s -> ending = true;
                case Replaced r -> {
                    socket.close(4000, "replaced");
                    ending = true;
                }
                case Joined(var room, var lastSeq, var frame) -> {
                    Link l = confirm(room, Room.Join.class);
                    if (l != null) {
                        l.live = true;
                        l.lastSeq = Math.max(l.lastSeq, lastSeq);
                        l.failures = 0;
                        l.deaths = 0;
                    }
                    emit(frame);
                }
                case Left(var room) -> {
                    Link l = confirm(room, Room.Leave.class);
                    if (l != null) {
                        l.live = false;
                        l.failures = 0;
                        l.deaths = 0;
                        forgetIfDone(l);
                    }
                    emit(frames.left(room));
                }
                case Accepted(var room, var seq, var ts, var ref) -> {
                    Link l = confirm(room, Room.Post.class);
                    if (l != null) {
                        l.lastSeq = Math.max(l.lastSeq, seq);
                        l.failures = 0;
                        l.deaths = 0;
                    }
                    emit(frames.ack(room, ref, seq, ts));
                }
                case NotMember(var room, var ref) -> {
                    Link l = confirm(room, Room.Post.class);
                    error("not_joined", "not a member of " + room, ref);
                    if (l != null) {
                        forgetIfDone(l);
                    }
                }
                case Unavailable(var room, var ref, var join) -> {
                    Link l = confirm(room, join ? Room.Join.class : Room.Post.class);
                    if (l != null && join && !l.live && l.wanted) {
                        l.wanted = false; // never joined: the join was not done
                        wanted--;
                        forgetIfDone(l);
                    }
                    error("unavailable", "the room cannot be reached now (its store is away): nothing was done; try again", ref);
                }
                case Rejoined(var room, var firstSeq, var missed) -> {
                    Link l = confirm(room, Room.Rejoin.class);
                    if (l != null) {
                        l.rejoining = false;
                        l.failures = 0;
                        l.deaths = 0;
                        long seq = firstSeq;
                        for (OutFrame f : missed) {
                            if (l.live && seq > l.lastSeq) {
                                emit(f);
                                l.lastSeq = seq;
                            }
                            seq++;
                        }
                    }
                }
                case Broadcast(var room, var seq, var frame) -> {
                    Link l = rooms.get(room);
                    if (l != null && l.live) {
                        if (seq == 0) {
                            emit(frame);
                        } else if (!l.rejoining && seq > l.lastSeq) {
                            emit(frame);
                            l.lastSeq = seq;
                        }
                    }
                }
                case RoomFound(var room, var pid, var failure) -> {
                    Link l = rooms.get(room);
                    if (l != null && l.resolving) {
                        if (pid != null && !pid.isAlive()) {
                            askAgain(l); // the supervisor answered before it saw that room end
                        } else if (pid != null) {
                            attach(l, pid);
                        } else {
                            retryLater(l, failure);
                        }
                    }
                }
                case Retry(var room) -> {
                    Link l = rooms.get(room);
                    if (l != null && l.resolving) {
                        lookUp(l);
                    }
                }
                case Barrier(var room) -> {
                    Link l = rooms.get(room);
                    if (l != null && l.resolving) {
                        l.barriers--;
                        lookUp(l);
                    }
                }
            }
            return ending ? Behaviors.stopped() : Behaviors.same();
        }

        Behavior<Msg> onSignal(ProcessContext<Msg> ctx, Signal signal) {
            if (signal instanceof Signal.Down(var ref, var pid, var reason)) {
                if (ref.equals(nameHolder)) {
                    nameHolder = null;
                    register();
                    return Behaviors.same();
                }
                Link l = byMonitor.remove(ref);
                if (l != null) {
                    roomEnded(l, reason);
                }
            }
            return Behaviors.same();
        }

        // ---- the client's frames, with the stateful rules in the contract's order

        private void handle(ClientFrame frame) {
            switch (frame) {
                case ClientFrame.Invalid(var code, var message, var ref, var closeCode) -> {
                    error(code, message, ref);
                    if (closeCode != 0) {
                        socket.close(closeCode, code);
                        ending = true;
                    }
                }
                case ClientFrame.Join(var room, var since, var ref) -> {
                    Link l = rooms.get(room);
                    boolean joining = l == null || !l.wanted;
                    if (joining && wanted >= chat.settings().maxRoomsPerSession()) {
                        error("too_many_rooms", "at most " + chat.settings().maxRoomsPerSession()
                                + " rooms per session", ref);
                        return;
                    }
                    if (overJoinRate(ref)) {
                        return;
                    }
                    if (joining) {
                        if (l == null) {
                            l = new Link(room);
                            rooms.put(room, l);
                        }
                        l.wanted = true;
                        wanted++;
                    }
                    request(l, new Room.Join(self, user, claim.serial(), since));
                }
                case ClientFrame.Leave(var room, var ref) -> {
                    Link l = rooms.get(room);
                    if (l == null || !l.wanted) {
                        error("not_joined", "not a member of " + room, ref);
                        return;
                    }
                    if (overJoinRate(ref)) {
                        return;
                    }
                    l.wanted = false;
                    wanted--;
                    request(l, new Room.Leave(self));
                }
                case ClientFrame.Send(var room, var text, var ref) -> {
                    Link l = rooms.get(room);
                    if (l == null || !l.wanted) {
                        error("not_joined", "not a member of " + room, ref);
                        return;
                    }
                    String problem = Frames.textProblem(text, chat.settings().maxTextLength());
                    if (problem != null) {
                        error("invalid_text", problem, ref);
                        return;
                    }
                    if (!bucket.take(System.nanoTime())) {
                        error("rate_limited", "too many messages: slow down", ref);
                        return;
                    }
                    request(l, new Room.Post(self, text, ref));
                }
            }
        }

        /** Takes a token for a join or leave; without one, answers rate_limited. */
        private boolean overJoinRate(String ref) {
            if (joinBucket.take(System.nanoTime())) {
                return false;
            }
            error("rate_limited", "too many joins and leaves: slow down", ref);
            return true;
        }

        // ---- talking to rooms

        /** Sends a request to the room, now or once its process is known; it stays unconfirmed until answered. */
        private void request(Link l, Room.Msg request) {
            l.unconfirmed.addLast(request);
            if (l.pid != null) {
                l.pid.send(request);
            } else if (!l.resolving) {
                lookUp(l);
            }
        }

        /** The answer to the oldest unconfirmed request of the room. */
        private Link confirm(String room, Class<? extends Room.Msg> kind) {
            Link l = rooms.get(room);
            if (l == null) {
                return null;
            }
            Room.Msg head = l.unconfirmed.peekFirst();
            if (kind.isInstance(head)) {
                l.unconfirmed.pollFirst();
            } else {
                ctx.log().warn("session {}: {} answered out of order in room {} (expected {})", user,
                        kind.getSimpleName(), room, head);
                for (Iterator<Room.Msg> it = l.unconfirmed.iterator(); it.hasNext(); ) {
                    if (kind.isInstance(it.next())) {
                        it.remove();
                        break;
                    }
                }
            }
            return l;
        }

        private void forgetIfDone(Link l) {
            if (!l.wanted && l.unconfirmed.isEmpty() && !l.resolving) {
                rooms.remove(l.room);
                if (l.monitor != null) {
                    byMonitor.remove(l.monitor);
                    ctx.demonitor(l.monitor);
                }
            }
        }

        /**
         * Finds the room's process, or asks the rooms supervisor for it ("start it, or tell me the
         * one you have"; the answer comes as a {@link RoomFound} message). After a crash the
         * supervisor restarts the room itself, and a start asked for before it has handled the
         * room's end would race that restart (a dynamic supervisor would start a second child by
         * the same name, and its own restart would then fail). Nothing is polled to avoid that: the
         * supervisor's exit signal is pushed before this session's DOWN (a process tells its links
         * before its monitors), and a supervisor turns pending signals into its trapped EXIT message
         * before it takes its next message; so once {@value #RESTART_BARRIERS} requests made one
         * after the other are answered, the EXIT is ahead of anything this session sends next.
         */
        private void lookUp(Link l) {
            l.resolving = true;
            Optional<Pid<Room.Msg>> pid = chat.node().whereis(Room.processName(l.room));
            if (pid.isPresent()) {
                attach(l, pid.get());
                return;
            }
            Optional<Pid<Supervisor.Msg>> supervisor = chat.roomsSupervisorPid();
            if (supervisor.isEmpty()) {
                retryLater(l, "the rooms supervisor is not running");
                return;
            }
            String room = l.room;
            if (l.barriers > 0) {
                ctx.<Supervisor.Msg, ChildCounts>ask(supervisor.get(), Supervisor.CountChildren::new,
                        chat.settings().callTimeout(),
                        (counts, error) -> error == null ? new Barrier(room) : new RoomFound(room, null, String.valueOf(error)));
                return;
            }
            ctx.<Supervisor.Msg, StartResult>ask(supervisor.get(),
                    reply -> new Supervisor.StartChild(Room.childSpec(room, chat), reply), chat.settings().callTimeout(),
                    (result, error) -> switch (result) {
                        case StartResult.Started(var p) -> new RoomFound(room, p.narrow(), null);
                        case StartResult.AlreadyStarted(var p) -> new RoomFound(room, p.narrow(), null);
                        case null -> new RoomFound(room, null, String.valueOf(error));
                        default -> new RoomFound(room, null, result.toString());
                    });
        }

        /** The supervisor named a room process that has ended: ask once more (bounded as every failure). */
        private void askAgain(Link l) {
            if (++l.failures > MAX_ROOM_FAILURES) {
                throw new IllegalStateException("room " + l.room + " cannot be reached: its supervisor keeps naming ended processes");
            }
            lookUp(l);
        }

        private void retryLater(Link l, String why) {
            if (++l.failures > MAX_ROOM_FAILURES) {
                throw new IllegalStateException("room " + l.room + " cannot be reached: " + why);
            }
            ctx.sendAfter(new Retry(l.room), Duration.ofMillis(Math.min(200, 5L * l.failures)));
        }

        /** Monitors the room's process and sends it every unconfirmed request, in order. */
        private void attach(Link l, Pid<Room.Msg> pid) {
            l.resolving = false;
            l.barriers = 0;
            l.pid = pid;
            l.monitor = ctx.monitor(pid);
            byMonitor.put(l.monitor, l);
            for (Room.Msg m : l.unconfirmed) {
                pid.send(m);
            }
        }

        /**
         * The room's process ended: whatever it did not answer, it did not do. Find the next one,
         * re-attach silently (with the messages missed meanwhile) and send the rest again.
         */
        private void roomEnded(Link l, ExitReason reason) {
            l.pid = null;
            l.monitor = null;
            // transient: a crashed room is restarted by the rooms supervisor; one that stopped is not
            // (noproc: it had ended before the monitor, maybe crashed, so wait for the supervisor too)
            l.barriers = reason instanceof ExitReason.Normal || reason instanceof ExitReason.Shutdown ? 0 : RESTART_BARRIERS;
            boolean waiting = l.unconfirmed.stream().anyMatch(m -> !(m instanceof Room.Rejoin));
            if (!waiting) {
                l.deaths = 0; // it did not die of anything this session sent
            } else if (++l.deaths >= MAX_ROOM_DEATHS) {
                throw new IllegalStateException("room " + l.room + " ended " + l.deaths
                        + " times in a row with requests of this session unanswered: " + reason);
            }
            l.unconfirmed.removeIf(m -> m instanceof Room.Rejoin);
            if (l.live) {
                l.unconfirmed.addFirst(new Room.Rejoin(self, user, claim.serial(), l.lastSeq));
                l.rejoining = true;
            }
            if (l.unconfirmed.isEmpty()) {
                forgetIfDone(l);
            } else {
                lookUp(l);
            }
        }
    }
}
