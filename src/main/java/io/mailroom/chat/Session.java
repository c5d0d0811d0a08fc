package io.mailroom.chat;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.NameTakenException;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import io.mailroom.process.TimerRef;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One client connection: a process under the {@code sessions} supervisor (temporary: a crashed
 * session is not restarted; its socket is closed with 1011 and its name freed), registered as
 * {@code session:<user>}. The WebSocket handler turns each inbound frame into an {@link Inbound}
 * message; everything the client receives is written by this process, in order, through its
 * {@link ClientSocket}.
 *
 * <p>It keeps the socket protocol: it applies the contract's stateful rules ({@code not_joined},
 * {@code too_many_rooms}, {@code invalid_text}, {@code rate_limited}, in that order), holds the
 * rate buckets, the name and the resume claim, and writes every frame. What it knows of each room
 * is in a {@link RoomLink}, the per-room state machine (joining, joined, leaving, re-attaching
 * after the room's process changed); the session routes the room's answers and DOWNs to it and
 * lends it the process's effects. A room's process is looked up in the registry, or asked of the
 * rooms supervisor, which starts it or names the one running (or restarted): one request, no
 * polling.
 *
 * <p>In cluster mode ({@link ChatContext#names()} set) the session first claims its name in the
 * store that all nodes share, and says {@code welcome} only once the store confirmed it (the
 * client's frames wait in the mailbox meanwhile); it refuses with {@code name_taken}, or with
 * {@code unavailable} (close 1013) when the store cannot be reached. Then it renews the lease every
 * third of its length, retrying a failed renewal within {@link #RETRY_AT_MOST}; a lease taken over
 * ends it as a local resume does (4000 "replaced"), and a lease it could not renew before it ran
 * out ends it with {@code unavailable} (close 1013), since another node may hold the name by then.
 */
public final class Session {
    /** A failed renewal of the name's lease is tried again after at most this (and a quarter of the renewal interval). */
    static final Duration RETRY_AT_MOST = Duration.ofMillis(250);

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
    record Joined(String room, long lastSeq, OutFrame frame) implements Msg {}

    /** A room's answer to {@link Room.Leave}. */
    record Left(String room) implements Msg {}

    /**
     * The store lost the room's history while this session stayed joined (cluster mode, v1.1): a
     * fresh {@code joined} frame of the new epoch, and the last seq of that epoch so far.
     */
    record EpochChanged(String room, long lastSeq, OutFrame frame) implements Msg {}

    /**
     * A room's answer to {@link Room.Post}: the message is stored as {@code seq}. Every answer to a
     * post names it by its {@code post} id: in cluster mode a room may refuse a later post (its
     * store is away) before it can answer an earlier one (whose outcome it is still learning).
     */
    record Accepted(String room, long seq, String ts, String ref, String post) implements Msg {}

    /**
     * Cluster mode: a room hands the post {@code post} to its store now. Should the room's process
     * end before it answers, the post may be stored; one it never handed is certainly not (it
     * reaches the session before the process's DOWN, as everything the process sent).
     */
    record Handed(String room, String post) implements Msg {}

    /** A room's answer to a {@link Room.Post} from a session it does not have as a member. */
    record NotMember(String room, String ref, String post) implements Msg {}

    /**
     * A room's answer to a {@link Room.Post} ({@code join} false; {@code post} its id) or a
     * {@link Room.Join} (true; {@code post} null) it could not do because the store that orders it
     * across nodes cannot be reached (contract v1.1).
     */
    record Unavailable(String room, String ref, boolean join, String post) implements Msg {}

    /**
     * A room could not learn from the store whether a {@link Room.Post} of this session was stored:
     * its answers were lost for {@link Room#APPEND_OUTCOME_WAIT}. Neither {@code ack} nor
     * {@code unavailable} would be true, so the session ends (1013); the client's {@code since}
     * join on its next connection shows whether the message is there.
     */
    record OutcomeUnknown(String room) implements Msg {}

    /** A room's answer to {@link Room.Rejoin}: the stored messages from {@code firstSeq} on. */
    record Rejoined(String room, long firstSeq, List<OutFrame> missed) implements Msg {}

    /**
     * A frame a room sends to all its members: a chat message ({@code seq > 0}) or a presence event
     * ({@code seq == 0}). One instance goes to every recipient.
     */
    record Broadcast(String room, long seq, OutFrame frame) implements Msg {}

    /** The rooms supervisor's answer to a look-up: the room's process, or why there is none. */
    private record RoomFound(String room, Pid<Room.Msg> pid, String failure) implements Msg {}

    private record Retry(String room) implements Msg {}

    /** Cluster mode: the store's answer to the name's claim, sent at {@code sentAt} (nanoTime). */
    private record NameAnswer(NameClaims.Outcome outcome, Throwable failure, long sentAt) implements Msg {}

    /** Cluster mode: time to renew the name's lease. */
    private enum RenewDue implements Msg { INSTANCE }

    /** Cluster mode: the store's answer to a renewal sent at {@code sentAt}. */
    private record Renewed(NameClaims.Renewal renewal, Throwable failure, long sentAt) implements Msg {}

    /** Cluster mode: the lease as last renewed (valid until {@code validUntil}, nanoTime) runs out now. */
    private record LeaseDeadline(long validUntil) implements Msg {}

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

    /**
     * A new session: says {@code welcome} and takes its name (the transport keeps the connection
     * alive with pings); in cluster mode once the store confirmed the name.
     */
    public static Behavior<Msg> start(SessionDirectory.Claim claim, ClientSocket socket, ChatContext chat) {
        return Behaviors.setup(ctx -> {
            State state = new State(claim, socket, chat, ctx);
            if (chat.names() != null) {
                state.claimName();
                return Behaviors.<Msg>receive(state::onClaiming).onSignal(state::onSignal).describedBy(state::describe);
            }
            return state.welcome();
        });
    }


    /** The session's state; touched only on its own turns. It is also the port its room links act through. */
    private static final class State implements RoomLink.Port {
        final SessionDirectory.Claim claim;
        final String user;
        final ClientSocket socket;
        final ChatContext chat;
        final Frames frames;
        final ProcessContext<Msg> ctx;
        final Pid<Msg> self;
        final Map<String, RoomLink> rooms = new HashMap<>();
        final Map<MonitorRef, RoomLink> byMonitor = new HashMap<>();
        final TokenBucket bucket;
        final TokenBucket joinBucket;
        /** Rooms the client is in or joining: what {@code max-rooms-per-session} counts. */
        int wanted;
        MonitorRef nameHolder;
        boolean ending;
        /** Cluster mode: until when (nanoTime) the name's lease is surely this session's, short of the store's own expiry. */
        long validUntil;
        TimerRef deadline;

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
            rooms.values().stream().sorted(Comparator.comparing(RoomLink::room)).forEach(l -> list.add(l.describe()));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("user", user);
            d.put("rooms", list);
            return d;
        }

        /** Says {@code welcome} and takes the process name: the session's life proper. */
        Behavior<Msg> welcome() {
            emit(chat.frames().welcome(claim.user(), claim.token()));
            register();
            return Behaviors.<Msg>receive(this::onMessage).onSignal(this::onSignal).describedBy(this::describe);
        }

        // ---- cluster mode: the name's claim and lease in the store

        void claimName() {
            long sentAt = System.nanoTime();
            CompletionStage<NameClaims.Outcome> answer;
            try {
                answer = chat.names().claim(claim.key(), claim.token(), claim.takeResume(), claim::replace);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            ctx.pipeToSelf(answer, (outcome, error) -> new NameAnswer(outcome, error, sentAt));
        }

        /** Before the store's answer: the client's frames (and anything else) wait in the mailbox. */
        Behavior<Msg> onClaiming(ProcessContext<Msg> ctx, Msg msg) {
            switch (msg) {
                case NameAnswer a -> {
                    return claimed(a);
                }
                case SocketClosed s -> {
                    ending = true; // gone already: the answer is awaited still, so that a won name is freed
                    return Behaviors.same();
                }
                default -> {
                    return Behaviors.unhandled();
                }
            }
        }

        private Behavior<Msg> claimed(NameAnswer a) {
            if (a.failure() != null) {
                ctx.log().warn("session {}: the name could not be claimed: {}", user, String.valueOf(a.failure()));
                return refuse("unavailable", "names cannot be checked now (their store is away): try again", 1013);
            }
            if (a.outcome() instanceof NameClaims.Won(var lease, var tookOver)) {
                claim.lease(lease); // from now on, the end of this session frees it
                if (ending) {
                    return Behaviors.stopped();
                }
                if (!chat.directory().install(claim, tookOver)) {
                    return refuse("server_full", "the server is at its session limit", 1013);
                }
                leaseRenewed(a.sentAt());
                return welcome();
            }
            return refuse("name_taken", "the name " + user + " is taken", 1008);
        }

        private Behavior<Msg> refuse(String code, String message, int closeCode) {
            emit(frames.error(code, message, null));
            socket.close(closeCode, code);
            return Behaviors.stopped();
        }

        private Duration renewInterval() {
            return chat.names().ttl().dividedBy(3);
        }

        /** The lease was set or renewed by a command sent at {@code sentAt}: the store's expiry is later than that plus the TTL. */
        private void leaseRenewed(long sentAt) {
            Duration ttl = chat.names().ttl();
            long until = sentAt + ttl.minus(ttl.dividedBy(10)).toNanos();
            if (until - validUntil > 0 || deadline == null) {
                validUntil = until;
                if (deadline != null) {
                    deadline.cancel();
                }
                deadline = ctx.sendAfter(new LeaseDeadline(until), Duration.ofNanos(Math.max(0, until - System.nanoTime())));
            }
            ctx.sendAfter(RenewDue.INSTANCE, renewInterval());
        }

        private void renew() {
            NameClaims.Lease lease = claim.lease();
            long sentAt = System.nanoTime();
            CompletionStage<NameClaims.Renewal> answer;
            try {
                answer = chat.names().renew(lease);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            ctx.pipeToSelf(answer, (renewal, error) -> new Renewed(renewal, error, sentAt));
        }

        private void renewed(Renewed r) {
            if (r.failure() != null) {
                Duration retry = renewInterval().dividedBy(4);
                ctx.sendAfter(RenewDue.INSTANCE, retry.compareTo(RETRY_AT_MOST) < 0 ? retry : RETRY_AT_MOST);
            } else if (r.renewal() == NameClaims.Renewal.HELD) {
                leaseRenewed(r.sentAt());
            } else {
                ctx.log().info("session {}: another session holds the name now", user);
                socket.close(4000, "replaced");
                ending = true;
            }
        }

        private void leaseRunOut(long until) {
            if (until != validUntil) {
                return; // renewed since
            }
            ctx.log().warn("session {}: the name's lease could not be renewed in time (the store is away); closing", user);
            error("unavailable", "the name could not be kept (its store is away): connect again", null);
            socket.close(1013, "unavailable");
            ending = true;
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

        @Override
        public void emit(OutFrame frame) {
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
                case Broadcast(var room, var seq, var frame) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.broadcast(seq, frame);
                    }
                }
                case Accepted(var room, var seq, var ts, var ref, var post) -> {
                    RoomLink l = rooms.get(room);
                    OutFrame ack = frames.ack(room, ref, seq, ts);
                    if (l != null) {
                        l.accepted(seq, ack, post); // in seq order among the frames it may hold back
                    } else {
                        emit(ack);
                    }
                }
                case Joined(var room, var lastSeq, var frame) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.joined(lastSeq);
                    }
                    emit(frame);
                }
                case EpochChanged(var room, var lastSeq, var frame) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null && l.epochChanged(lastSeq)) {
                        emit(frame);
                    }
                }
                case Left(var room) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.left();
                        forgetIfDone(l);
                    }
                    emit(frames.left(room));
                }
                case Handed(var room, var post) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.handed(post);
                    }
                }
                case NotMember(var room, var ref, var post) -> {
                    RoomLink l = rooms.get(room);
                    error("not_joined", "not a member of " + room, ref);
                    if (l != null) {
                        l.notMember(post);
                        forgetIfDone(l);
                    }
                }
                case Unavailable(var room, var ref, var join, var post) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        if (l.unavailable(join, post)) {
                            wanted--; // never joined: the join was not done
                        }
                        forgetIfDone(l);
                    }
                    error("unavailable", "the room cannot be reached now (its store is away): nothing was done; try again", ref);
                }
                case OutcomeUnknown(var room) -> {
                    ctx.log().warn("session {}: room {} cannot say whether a message was stored; closing", user, room);
                    error("unavailable", "the store of room " + room + " did not answer whether a message was stored:"
                            + " connect again and join with since to see", null);
                    socket.close(1013, "unavailable");
                    ending = true;
                }
                case Rejoined(var room, var firstSeq, var missed) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.rejoined(firstSeq, missed);
                    }
                }
                case RoomFound(var room, var pid, var failure) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null && pid != null) {
                        l.found(pid);
                    } else if (l != null) {
                        l.notFound(failure);
                    }
                }
                case Retry(var room) -> {
                    RoomLink l = rooms.get(room);
                    if (l != null) {
                        l.retry();
                    }
                }
                case RenewDue d -> renew();
                case Renewed r -> renewed(r);
                case LeaseDeadline(var until) -> leaseRunOut(until);
                case NameAnswer a -> {
                    // answered in the claiming phase; never twice
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
                RoomLink l = byMonitor.remove(ref);
                if (l != null) {
                    l.roomEnded(reason);
                    forgetIfDone(l);
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
                    RoomLink l = rooms.get(room);
                    boolean joining = l == null || !l.wanted();
                    if (joining && wanted >= chat.settings().maxRoomsPerSession()) {
                        error("too_many_rooms", "at most " + chat.settings().maxRoomsPerSession()
                                + " rooms per session", ref);
                        return;
                    }
                    if (overJoinRate(ref)) {
                        return;
                    }
                    if (l == null) {
                        l = new RoomLink(room, self, user, claim.serial(), this);
                        rooms.put(room, l);
                    }
                    if (joining) {
                        wanted++;
                    }
                    l.join(since);
                }
                case ClientFrame.Leave(var room, var ref) -> {
                    RoomLink l = rooms.get(room);
                    if (l == null || !l.wanted()) {
                        error("not_joined", "not a member of " + room, ref);
                        return;
                    }
                    if (overJoinRate(ref)) {
                        return;
                    }
                    wanted--;
                    l.leave();
                }
                case ClientFrame.Send(var room, var text, var ref) -> {
                    RoomLink l = rooms.get(room);
                    if (l == null || !l.wanted()) {
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
                    l.post(text, ref);
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

        private void forgetIfDone(RoomLink l) {
            if (l.phase() == RoomLink.Phase.DONE && rooms.get(l.room()) == l) {
                rooms.remove(l.room());
                if (l.monitor() != null) {
                    byMonitor.remove(l.monitor());
                }
                l.close();
            }
        }

        // ---- the port the room links act through

        @Override
        public MonitorRef monitor(RoomLink link, Pid<Room.Msg> room) {
            MonitorRef ref = ctx.monitor(room);
            byMonitor.put(ref, link);
            return ref;
        }

        @Override
        public void demonitor(MonitorRef ref) {
            ctx.demonitor(ref);
        }

        @Override
        public Optional<Pid<Room.Msg>> registered(String room) {
            return chat.node().whereis(Room.processName(room));
        }

        /**
         * One start request to the rooms supervisor: "start it, or tell me the one you have",
         * answered with the running child of that name, the child it restarted (a request that
         * arrives before it has handled the end of the old one waits for it), or a fresh one; the
         * answer comes back as a {@link RoomFound}. No polling, no barrier round trips.
         */
        @Override
        public void askSupervisor(RoomLink l) {
            Optional<Pid<Supervisor.Msg>> supervisor = chat.roomsSupervisorPid();
            if (supervisor.isEmpty()) {
                l.notFound("the rooms supervisor is not running");
                return;
            }
            String room = l.room();
            ctx.<Supervisor.Msg, StartResult>ask(supervisor.get(),
                    reply -> new Supervisor.StartChild(Room.childSpec(room, chat), reply), chat.settings().callTimeout(),
                    (result, error) -> switch (result) {
                        case StartResult.Started(var p) -> new RoomFound(room, p.narrow(), null);
                        case StartResult.AlreadyStarted(var p) -> new RoomFound(room, p.narrow(), null);
                        case StartResult.Refused(var why) -> new RoomFound(room, null, "refused: " + why);
                        case null -> new RoomFound(room, null, String.valueOf(error));
                    });
        }

        @Override
        public void retryAfter(RoomLink l, Duration delay) {
            ctx.sendAfter(new Retry(l.room()), delay);
        }

        @Override
        public void warn(String message) {
            ctx.log().warn("session {}: {}", user, message);
        }
    }
}
