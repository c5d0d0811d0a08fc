package io.mailroom.chat;

import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessContext;
import io.mailroom.process.Signal;
import io.mailroom.process.SpawnOptions;
import io.mailroom.supervision.ChildSpec;
import io.mailroom.supervision.Restart;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * A chat room: one process per live room, registered as {@code room:<name>} under the
 * {@code rooms} supervisor (transient: restarted after a crash, not after it stops when idle).
 *
 * <p>It assigns each accepted message the next {@code seq}, stores it in the room's
 * {@link RoomLog}, sends the one encoded frame to every other member and an {@code ack} to the
 * sender, all in one turn: a process is never interrupted inside a handler, so a message is either
 * stored, fanned out and acknowledged, or not accepted at all. Members get the room's messages in
 * seq order because one process sends them all, and mailboxes keep one sender's order.
 *
 * <p>Its roster lives in the log too, so a restarted room knows its members at once: it monitors
 * them again and fans out to them from its first message on. The sessions see the old process go
 * (they monitor it), find the new one and send it what it did not confirm; the client notices
 * nothing. A room whose roster stays empty for {@code room-idle-timeout} stops; its log is freed
 * then unless it still stores messages ({@link RoomStore}).
 */
public final class Room {

    private Room() {}

    /** What a room accepts: requests from sessions, each answered with one reply (the chat's internal protocol). */
    sealed interface Msg {}

    /**
     * Join (again); answered with {@link Session.Joined}. Others see presence join if it is new.
     * {@code claim} is the session's {@link SessionDirectory.Claim#serial()}. In cluster mode it is
     * answered once presence holds the member, or refused ({@link Session.Unavailable}) and undone.
     */
    record Join(Pid<Session.Msg> session, String user, long claim, Long since) implements Msg {}

    /** Leave; answered with {@link Session.Left}. Others see presence leave if it was a member. */
    record Leave(Pid<Session.Msg> session) implements Msg {}

    /**
     * Post a message; answered with {@link Session.Accepted} (or {@link Session.NotMember}).
     * {@code id} is the same when the session sends the post again to a restarted room process: in
     * cluster mode the store answers a post it already holds with its first seq (stored once).
     * {@code uncertain}: sent again after the room's process that had it ended, having handed it to
     * the store ({@link Session.Handed}); in cluster mode such a post is never refused as
     * {@code unavailable} (it may be stored): it goes to the store until the store answers, as a
     * post whose answer was lost.
     */
    record Post(Pid<Session.Msg> session, String text, String ref, String id, boolean uncertain) implements Msg {
        Post(Pid<Session.Msg> session, String text, String ref, String id) {
            this(session, text, ref, id, false);
        }

        /** This post, sent again to the room's next process. */
        Post again() {
            return new Post(session, text, ref, id, true);
        }
    }

    /**
     * A member re-attaches after the room's process changed: answered with {@link Session.Rejoined},
     * holding the messages after {@code since}. Silent: no presence event, no {@code joined}.
     */
    record Rejoin(Pid<Session.Msg> session, String user, long claim, long since) implements Msg {}

    // ---- cluster mode only: what the room's process tells itself about the store that orders it

    /** The room is subscribed and its log is a copy of the shared history (or it could not be). */
    private record Synced(RoomOrder.Snapshot snapshot, Throwable failure) implements Msg {}

    /** A message some node stored, as published. */
    private record Published(RoomOrder.Stored message) implements Msg {}

    /**
     * A local member's post on its way to the store, as sent (and sent again, under its id, while its
     * outcome is unknown: {@code resent}, for then a sending refused unsent says nothing of the earlier ones).
     */
    private record Append(Pid<Session.Msg> session, String ref, String id, String ts, String prefix, String suffix,
                          long firstSentNanos, boolean resent) {
        Append again() {
            return new Append(session, ref, id, ts, prefix, suffix, firstSentNanos, true);
        }
    }

    /** The store answered a local member's post: stored as a seq, or not (or the answer was lost). */
    private record Appended(Append request, String ts, RoomOrder.Stored stored, Throwable failure) implements Msg {
        Pid<Session.Msg> session() {
            return request.session();
        }

        String ref() {
            return request.ref();
        }
    }

    /** Time to send again a post whose answer was lost. */
    private record AppendAgain(Append request) implements Msg {}

    /** Messages from the stream that fill a gap in what was published (or the read failed). */
    private record Filled(RoomOrder.Snapshot snapshot, Throwable failure) implements Msg {}

    /** Time to look whether a gap in the published seqs is still open. */
    private enum CheckGap implements Msg { INSTANCE }

    /** The connection to the store came back, or it is time to try it again. */
    private enum Resync implements Msg { INSTANCE }

    /** The connection to the store is lost. */
    private enum StoreDown implements Msg { INSTANCE }

    /** Presence answered a register of the roster: the members on other nodes (or it could not be done). */
    private record Registered(int serial, Map<String, String> others, Throwable failure) implements Msg {}

    /** A member of another node joined or left the room. */
    private record PresenceChanged(RoomPresence.Change change) implements Msg {}

    /** These nodes are gone: their members have left. */
    private record NodesLost(Set<String> nodes) implements Msg {}

    /** Time to register the roster with presence (again): this node registered anew, or a write failed. */
    private enum Register implements Msg { INSTANCE }

    /** A join or leave of a member here could not be written to presence. */
    private enum PresenceWriteFailed implements Msg { INSTANCE }

    /** Presence answered the write of a joining member here: it is answered {@code joined} only now (or refused). */
    private record JoinWritten(Join join, Throwable failure) implements Msg {}

    /** How long a gap in the published seqs may stay open before it is read from the stream. */
    static final java.time.Duration GAP_WAIT = java.time.Duration.ofMillis(50);
    /** How long after a failed sync the room tries again. */
    static final java.time.Duration RESYNC_WAIT = java.time.Duration.ofSeconds(1);
    /** How long after a lost answer to a post the room sends it again. */
    static final java.time.Duration APPEND_AGAIN_WAIT = java.time.Duration.ofMillis(250);
    /**
     * How long after its first sending a post whose answers are lost is sent again at most: well
     * within {@link RoomOrder#POST_ID_TTL}, so that every resend is still told apart from a new post.
     */
    static final java.time.Duration APPEND_OUTCOME_WAIT = java.time.Duration.ofSeconds(20);

    /** The registered name of a room's process. */
    public static String processName(String room) {
        return "room:" + room;
    }

    /** How the rooms supervisor starts (and restarts) the room's process. */
    static ChildSpec<Msg> childSpec(String room, ChatContext chat) {
        return ChildSpec.<Msg>worker(processName(room), () -> start(room, chat))
                .withOptions(SpawnOptions.ofType("room").withName(processName(room)))
                .withRestart(Restart.TRANSIENT);
    }

    /** A room picking up where its log stands: monitors the members on the roster. */
    static Behavior<Msg> start(String room, ChatContext chat) {
        return Behaviors.setup(ctx -> {
            State state = new State(room, chat, chat.rooms().attach(room, ctx.self()), ctx);
            for (RoomLog.Member m : state.roster) {
                state.monitors.put(m.session(), ctx.monitor(m.session()));
            }
            if (state.order != null) {
                state.sync();
            }
            chat.metrics().roomStarted();
            return state.behavior();
        });
    }

    /** The room's state; touched only on its own turns. */
    private static final class State {
        final String room;
        final ChatContext chat;
        final Frames frames;
        RoomLog log;
        final ProcessContext<Msg> ctx;
        /** Cluster mode: the store that orders the room; null on a single node, where none of the below is used. */
        final RoomOrder order;
        final RoomOrder.Feed feed;
        /** Subscribed, and the log holds every stored message up to its last seq: requests can be done. */
        boolean synced;
        boolean syncing;
        /** The first sync of this process: the log is rebased onto the store's history without delivering. */
        boolean firstSync = true;
        boolean gapCheckDue;
        boolean filling;
        /** Sessions' requests waiting, in arrival order, so that each session's answers keep its order. */
        final ArrayDeque<Msg> waiting = new ArrayDeque<>();
        /** Published messages after a gap, by seq, until the gap is filled. */
        final TreeMap<Long, RoomOrder.Stored> ahead = new TreeMap<>();
        /** Stored local posts, by seq, to be acknowledged when delivered in seq order. */
        final Map<Long, Appended> acks = new HashMap<>();
        /** Local posts sent to the store and not answered to their session yet. */
        int unanswered;
        /**
         * Local posts sent to the store whose answer has not come: until it does, nothing is
         * delivered, since the publication of a post may come before the answer that says which
         * seq it got, and the sender must get its ack, not its own message.
         */
        int unreplied;
        final Map<Pid<?>, MonitorRef> monitors = new HashMap<>();
        RoomLog.Member[] roster;
        /** Cluster mode: who is in the room on the other nodes; null on a single node. */
        final RoomPresence presence;
        final RoomPresence.Feed presenceFeed;
        /** The roster's last register was answered and the store has not gone away since: joins can be answered. */
        boolean registered;
        /** A register is on its way; {@link #registerSerial} numbers the last one sent. */
        boolean registering;
        int registerSerial;
        boolean registerDue;
        /** Presence news heard while a register is on its way: applied after its answer, in order. */
        final List<Msg> heard = new ArrayList<>();
        /**
         * Joins on the roster whose presence writes are on their way, by name as the session
         * directory keys names: until presence has a member, the other nodes cannot see it, so it is
         * not answered, and requests after it wait, but for new members' joins of other names, whose
         * writes go with it (a storm of joins, as after a node's clients reconnect elsewhere, takes
         * a round trip, not one per join).
         */
        final Map<String, Join> joinsWriting = new HashMap<>();

        State(String room, ChatContext chat, RoomLog log, ProcessContext<Msg> ctx) {
            this.room = room;
            this.chat = chat;
            this.frames = chat.frames();
            this.log = log;
            this.ctx = ctx;
            this.roster = log.members();
            this.order = chat.order();
            Pid<Msg> self = ctx.self();
            this.feed = order == null ? null : new RoomOrder.Feed() {
                @Override
                public void published(RoomOrder.Stored message) {
                    self.send(new Published(message));
                }

                @Override
                public void reconnected() {
                    self.send(Resync.INSTANCE);
                }

                @Override
                public void disconnected() {
                    self.send(StoreDown.INSTANCE);
                }
            };
            this.presence = chat.presence();
            this.presenceFeed = presence == null ? null : new RoomPresence.Feed() {
                @Override
                public void changed(RoomPresence.Change change) {
                    self.send(new PresenceChanged(change));
                }

                @Override
                public void nodesLost(Set<String> nodes) {
                    self.send(new NodesLost(nodes));
                }

                @Override
                public void reregister() {
                    self.send(Register.INSTANCE);
                }
            };
        }

        Behavior<Msg> behavior() {
            Behavior<Msg> b = Behaviors.<Msg>receive(this::onMessage).onSignal(this::onSignal).describedBy(this::describe);
            return roster.length == 0
                    ? b.receiveTimeout(chat.settings().roomIdleTimeout(), c -> idle())
                    : b;
        }

        /**
         * The roster stayed empty for the idle timeout: the room stops, unless something is still on
         * its way (cluster mode: a sync, a register or a post the store has not answered, requests
         * waiting for them), for stopping then would leave a session's request unanswered.
         */
        private Behavior<Msg> idle() {
            boolean busy = syncing || registering || !joinsWriting.isEmpty() || unanswered > 0 || !waiting.isEmpty()
                    || !acks.isEmpty();
            return busy ? behavior() : Behaviors.stopped();
        }

        /** For the process page: who is in the room, the last seq it gave, and the epoch of its seqs. */
        private Map<String, Object> describe() {
            List<Map<String, Object>> members = new ArrayList<>(roster.length);
            for (RoomLog.Member m : roster) {
                members.add(Map.of("user", m.user(), "session", m.session().toString()));
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("room", room);
            d.put("members", members);
            if (presence != null) {
                d.put("otherNodesMembers", log.remote().size());
                d.put("joinsBeingWritten", joinsWriting.size());
                d.put("rosterRegisterDue", registerDue); // a write failed (or a register did): the roster goes again
            }
            d.put("lastSeq", log.lastSeq());
            d.put("epoch", log.epoch());
            if (order != null) {
                d.put("synced", synced);
                d.put("waiting", waiting.size()); // sessions' requests held until the store is synced
            }
            return d;
        }

        private Behavior<Msg> onMessage(ProcessContext<Msg> ctx, Msg msg) {
            boolean wasEmpty = roster.length == 0;
            if (order != null) {
                clustered(msg);
            } else {
                handle(msg);
            }
            return wasEmpty == (roster.length == 0) ? Behaviors.same() : behavior();
        }

        /** A session's request, done now. */
        private void handle(Msg msg) {
            switch (msg) {
                case Join j -> {
                    if (indexOf(j.session()) < 0 && add(j.session(), j.user(), j.claim())) {
                        announceJoin(j.session(), j.user());
                        if (presence != null) {
                            writeJoin(j);
                            return;
                        }
                    }
                    j.session().send(new Session.Joined(room, log.lastSeq(), joinedFrame(j.since())));
                }
                case Leave(var session) -> {
                    int i = indexOf(session);
                    if (i >= 0) {
                        String user = roster[i].user();
                        remove(i);
                        leftHere(user);
                    }
                    session.send(new Session.Left(room));
                }
                case Post p -> post(p.session(), p.text(), p.ref(), p.id());
                case Rejoin(var session, var user, var claim, var since) -> {
                    if (indexOf(session) < 0 && add(session, user, claim) && presence != null) {
                        tellPresence(presence.joined(room, user)); // silent: a register puts a failed write right
                    }
                    RoomLog.Slice missed = log.since(since, chat.settings().catchUpLimit());
                    session.send(new Session.Rejoined(room, missed.firstSeq(), missed.frames()));
                }
                default -> throw new IllegalStateException("not a session's request: " + msg);
            }
        }

        // ---- cluster mode: the store gives the seqs; this process delivers them to local members in order

        private void clustered(Msg msg) {
            switch (msg) {
                case Synced(var snapshot, var failure) -> synced(snapshot, failure);
                case Published(var message) -> offer(message);
                case Appended a -> appended(a);
                case AppendAgain(var request) -> appendAgain(request);
                case Filled(var snapshot, var failure) -> filled(snapshot, failure);
                case CheckGap c -> {
                    gapCheckDue = false;
                    fillGap();
                }
                case Resync r -> {
                    if (!syncing) {
                        sync();
                    }
                }
                case StoreDown d -> {
                    synced = false;
                    registered = false;
                }
                case Registered r -> registered(r);
                // the roster registered again puts it right; joins go on: each waits for its own write
                case PresenceWriteFailed f -> registerLater();
                case JoinWritten(var join, var failure) -> joinWritten(join, failure);
                case PresenceChanged p -> heard(p);
                case NodesLost n -> heard(n);
                case Register r -> {
                    registerDue = false;
                    if (synced && !syncing) {
                        register();
                    } // else the sync under way registers when done
                }
                default -> {
                    waiting.addLast(msg);
                }
            }
            drain();
        }

        /** Does the waiting requests that can be done now, in order. */
        private void drain() {
            if (!synced && !syncing) {
                refuseWaitingPosts();
            }
            while (!waiting.isEmpty() && !syncing && !registering) {
                Msg next = waiting.peekFirst();
                // a post need not wait for the posts before it: stored in order, or (store away) refused at once
                if (unanswered > 0 && !(next instanceof Post)) {
                    return; // answered after the posts before it
                }
                if (!joinsWriting.isEmpty() && !goesWithTheJoinsBeingWritten(next)) {
                    return; // answered after the joins before it
                }
                waiting.pollFirst();
                // a joiner is told every node's members, and they of it: a join waits for presence too
                boolean ready = synced && (!(next instanceof Join) || presence == null || registered && presence.live());
                if (ready || next instanceof Leave || next instanceof Rejoin || next instanceof Post p && p.uncertain()) {
                    handleClustered(next);
                } else if (next instanceof Join j) {
                    j.session().send(new Session.Unavailable(room, null, true, null));
                } else if (next instanceof Post p) {
                    p.session().send(new Session.Unavailable(room, p.ref(), false, p.id()));
                }
            }
        }

        /**
         * The store is away: a post waiting behind another request (a Rejoin that waits for a post
         * sent again, whose outcome only the store can tell) is refused now, not once that request
         * is done, which may be only when the store is back. A post sent again is not: it may be
         * stored. Answers go by post id, so a session's later post may be refused before its earlier
         * request is answered.
         */
        private void refuseWaitingPosts() {
            for (Iterator<Msg> it = waiting.iterator(); it.hasNext(); ) {
                if (it.next() instanceof Post p && !p.uncertain()) {
                    it.remove();
                    p.session().send(new Session.Unavailable(room, p.ref(), false, p.id()));
                }
            }
        }

        private void handleClustered(Msg msg) {
            if (msg instanceof Post(var session, var text, var ref, var id, var uncertain)) {
                int i = indexOf(session);
                if (i < 0) {
                    session.send(new Session.NotMember(room, ref, id));
                    return;
                }
                String ts = Frames.timestamp(Instant.now());
                String[] around = frames.messageAroundSeq(room, roster[i].user(), text, ts);
                unanswered++;
                unreplied++;
                session.send(new Session.Handed(room, id)); // from now on, its end would leave the post's outcome open
                append(new Append(session, ref, id, ts, around[0], around[1], System.nanoTime(), uncertain));
            } else {
                handle(msg);
            }
        }

        /**
         * Sends a post to the store. One it holds already (sent again after a process of this room
         * ended before answering it, or after an answer was lost) comes back as first stored, with its
         * seq and ts: one message, one ack.
         */
        private void append(Append a) {
            ctx.pipeToSelf(order.append(room, a.id(), a.ts(), a.prefix(), a.suffix()),
                    (posted, error) -> posted == null
                            ? new Appended(a, a.ts(), null, error)
                            : new Appended(a, posted.ts(), posted.stored(), error));
        }

        /** Subscribes (again) and reads the store's history: nothing is done until it is in. */
        void sync() {
            syncing = true;
            synced = false;
            int capacity = chat.settings().historySize();
            CompletionStage<Void> subscribed = order.subscribe(room, feed);
            if (presence != null) {
                // before the register (done once synced), so no change after its answer is missed
                subscribed = subscribed.thenCompose(v -> presence.subscribe(room, presenceFeed));
            }
            ctx.pipeToSelf(subscribed.thenCompose(v -> order.read(room, -1, capacity, true)), Synced::new);
        }

        private void synced(RoomOrder.Snapshot snapshot, Throwable failure) {
            syncing = false;
            if (failure != null || snapshot == null) {
                ctx.log().warn("room {}: its store cannot be reached: {}", room, String.valueOf(failure));
                ctx.sendAfter(Resync.INSTANCE, RESYNC_WAIT);
                return;
            }
            synced = true;
            ahead.values().removeIf(m -> !m.epoch().equals(snapshot.epoch()));
            if (firstSync && snapshot.epoch().equals(log.epoch()) && log.members().length > 0) {
                // a restarted process whose members stayed: they may have rejoined while the store was
                // away, answered from this node's copy, so what the store holds beyond it is news to them
                firstSync = false;
            }
            if (firstSync || !snapshot.epoch().equals(log.epoch())) {
                boolean first = firstSync;
                if (!first) {
                    ctx.log().warn("room {}: the store lost its history: epoch {} follows {}", room,
                            snapshot.epoch(), log.epoch());
                }
                firstSync = false;
                log = chat.rooms().rebase(log, ctx.self(), snapshot.epoch(), snapshot.firstSeq() - 1);
                long seq = snapshot.firstSeq();
                for (String frame : snapshot.frames()) {
                    chat.rooms().append(log, seq++, OutFrame.message(frame, 0));
                }
                ahead.headMap(log.lastSeq(), true).clear();
                if (!first) {
                    // members who stayed hold seqs of the lost epoch: a fresh joined tells them the
                    // new one and gives its messages so far, before any ack or message of it
                    Session.EpochChanged changed = new Session.EpochChanged(room, log.lastSeq(), joinedFrame(null));
                    for (RoomLog.Member m : roster) {
                        m.session().send(changed);
                    }
                }
                // local posts stored before the rebase: stored, so acknowledged (their seqs are in the log now or were lost with it)
                for (Appended a : acks.values()) {
                    unanswered--;
                    a.session().send(new Session.Accepted(room, a.stored().seq(), a.ts(), a.ref(), a.request().id()));
                }
                acks.clear();
            } else {
                caughtUp(snapshot); // after a reconnect: what was missed meanwhile, in order
            }
            deliverAhead();
            register();
        }

        // ---- cluster mode: presence, the members on other nodes

        /** Registers the whole roster with presence; its answer says who is on the other nodes. */
        private void register() {
            if (presence == null) {
                return;
            }
            int serial = ++registerSerial;
            registering = true;
            List<String> users = new ArrayList<>(roster.length);
            for (RoomLog.Member m : roster) {
                users.add(m.user());
            }
            ctx.pipeToSelf(presence.register(room, users), (others, error) -> new Registered(serial, others, error));
        }

        private void registered(Registered r) {
            if (r.serial() != registerSerial) {
                return; // a later register is on its way: its answer counts
            }
            registering = false;
            if (r.failure() == null) {
                registered = true;
                Map<String, String> known = new HashMap<>(r.others());
                Map<String, String> before = log.remote();
                log.remote(known);
                // what changed while this node was not listening (cut off, or the room restarting)
                for (Map.Entry<String, String> e : before.entrySet()) {
                    if (!known.containsKey(e.getKey()) && !isHere(e.getKey())) {
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", e.getKey())));
                    }
                }
                for (String user : new TreeSet<>(known.keySet())) {
                    if (!before.containsKey(user) && !isHere(user)) {
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "join", user)));
                    }
                }
            } else {
                registered = false;
                ctx.log().warn("room {}: presence cannot be reached: {}", room, String.valueOf(r.failure()));
                registerLater();
            }
            List<Msg> news = new ArrayList<>(heard);
            heard.clear();
            news.forEach(this::apply);
        }

        private void registerLater() {
            if (!registerDue) {
                registerDue = true;
                ctx.sendAfter(Register.INSTANCE, RESYNC_WAIT);
            }
        }

        /** News of other nodes' members: after the register on its way, or now. */
        private void heard(Msg news) {
            if (registering) {
                heard.add(news);
            } else {
                apply(news);
            }
        }

        private void apply(Msg news) {
            Map<String, String> remote = log.remote();
            if (!(remote instanceof HashMap)) {
                remote = new HashMap<>(remote); // the shared empty one, until the first member elsewhere
                log.remote(remote);
            }
            if (news instanceof PresenceChanged(var change)) {
                String user = change.user();
                if (change.joined()) {
                    boolean seen = isHere(user) || remote.containsKey(user);
                    remote.put(user, change.node());
                    if (!seen) {
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "join", user)));
                    }
                } else if (change.node().equals(remote.get(user))) {
                    remote.remove(user);
                    if (!isHere(user)) {
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", user)));
                    }
                }
            } else if (news instanceof NodesLost(var nodes)) {
                List<String> gone = new ArrayList<>();
                remote.entrySet().removeIf(e -> nodes.contains(e.getValue()) && gone.add(e.getKey()));
                gone.sort(null);
                for (String user : gone) {
                    if (!isHere(user)) {
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", user)));
                    }
                }
            }
        }

        /** Whether a member of this name is on this node. */
        private boolean isHere(String user) {
            for (RoomLog.Member m : roster) {
                if (m.user().equals(user)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Writes a joined member to presence before answering it (protocol.md §5: a joiner is told
         * every node's members, and they of it). Answered at once, its join could be lost with the
         * write, and a member joining on another node meanwhile would not be told of it.
         */
        private void writeJoin(Join j) {
            joinsWriting.put(nameKey(j.user()), j);
            ctx.pipeToSelf(presence.joined(room, j.user()), (v, error) -> new JoinWritten(j, error));
        }

        /**
         * The joined member is written: it is answered now, from the log as it stands now (messages
         * fanned out meanwhile are in that answer; the session took none before it). Not written: the
         * join is undone and refused, its leave written after whatever of the join reached the store.
         * The others here saw it come, so they see it go: announced only once written, a join whose
         * room's process ended meanwhile would be answered by the next one without ever being announced.
         */
        private void joinWritten(Join j, Throwable failure) {
            joinsWriting.remove(nameKey(j.user()), j);
            int i = indexOf(j.session());
            if (i < 0) {
                // its session ended, or was replaced by a later one of its name: not a member
                j.session().send(new Session.Unavailable(room, null, true, null));
                return;
            }
            if (failure == null) {
                j.session().send(new Session.Joined(room, log.lastSeq(), joinedFrame(j.since())));
            } else {
                ctx.log().warn("room {}: the join of {} could not be written to presence, so it is refused: {}", room,
                        j.user(), String.valueOf(failure));
                remove(i);
                leftHere(j.user());
                j.session().send(new Session.Unavailable(room, null, true, null));
            }
        }

        /** Only a new member's join of a name not being written already is done beside the joins being written. */
        private boolean goesWithTheJoinsBeingWritten(Msg next) {
            return next instanceof Join j && indexOf(j.session()) < 0 && !joinsWriting.containsKey(nameKey(j.user()));
        }

        private static String nameKey(String user) {
            return user.toLowerCase(Locale.ROOT);
        }

        /** The others here see a new member join, unless the name is in the room on another node already. */
        private void announceJoin(Pid<Session.Msg> session, String user) {
            if (!log.remote().containsKey(user)) {
                broadcast(session, new Session.Broadcast(room, 0, frames.presence(room, "join", user)));
            }
        }

        /** Tells presence of a change of the roster; a failed write is put right by registering the roster again. */
        private void tellPresence(CompletionStage<Void> write) {
            Pid<Msg> self = ctx.self();
            write.whenComplete((v, error) -> {
                if (error != null) {
                    self.send(PresenceWriteFailed.INSTANCE);
                }
            });
        }

        /** Delivers the snapshot's messages after the log's last seq; a trimmed gap cannot be filled any more. */
        private void caughtUp(RoomOrder.Snapshot snapshot) {
            if (snapshot.firstSeq() > log.lastSeq() + 1 && !snapshot.frames().isEmpty()) {
                ctx.log().warn("room {}: messages {}..{} were trimmed before this node read them", room,
                        log.lastSeq() + 1, snapshot.firstSeq() - 1);
                log = chat.rooms().rebase(log, ctx.self(), log.epoch(), snapshot.firstSeq() - 1);
            }
            long seq = snapshot.firstSeq();
            for (String frame : snapshot.frames()) {
                offer(new RoomOrder.Stored(snapshot.epoch(), seq++, frame));
            }
        }

        private void appended(Appended a) {
            if (a.failure() != null) {
                if (RoomOrder.notStored(a.failure()) && !a.request().resent()) {
                    unreplied--;
                    unanswered--;
                    a.session().send(new Session.Unavailable(room, a.ref(), false, a.request().id()));
                    deliverAhead();
                } else if (System.nanoTime() - a.request().firstSentNanos() < APPEND_OUTCOME_WAIT.toNanos()) {
                    // stored or not, the store did not say: its publication, if any, waits in ahead (the
                    // post stays unreplied) until a resend under its id gets the answer
                    ctx.sendAfter(new AppendAgain(a.request()), APPEND_AGAIN_WAIT);
                } else {
                    unreplied--;
                    unanswered--;
                    ctx.log().warn("room {}: the store did not answer whether a post of {} was stored in {}",
                            room, a.session(), APPEND_OUTCOME_WAIT);
                    a.session().send(new Session.OutcomeUnknown(room));
                    deliverAhead();
                }
                return;
            }
            unreplied--;
            if (a.stored().epoch().equals(log.epoch()) && a.stored().seq() <= log.lastSeq()) {
                unanswered--; // delivered already (the log was rebased past it): acknowledged now
                a.session().send(new Session.Accepted(room, a.stored().seq(), a.ts(), a.ref(), a.request().id()));
            } else {
                acks.put(a.stored().seq(), a);
            }
            if (a.stored().frame() != null) {
                offer(a.stored());
            } // else a repeat the history no longer holds: delivered from the stream, or lost with it
            deliverAhead();
        }

        /** A post whose answer was lost goes again, unless its sender is no longer here to be answered. */
        private void appendAgain(Append request) {
            if (indexOf(request.session()) >= 0) {
                append(request.again());
                return;
            }
            unreplied--; // gone: if the store holds it, the others get it from the publication
            unanswered--;
            deliverAhead();
        }

        /** A stored message, from the publication, the store's answer or the stream: delivered once, in seq order. */
        private void offer(RoomOrder.Stored m) {
            if (!synced || unreplied > 0) {
                ahead.put(m.seq(), m); // sorted out once synced: the snapshot says which epoch holds
                return;
            }
            if (!m.epoch().equals(log.epoch())) {
                if (!syncing) {
                    sync(); // the store lost the room: start again under its new epoch
                }
                return;
            }
            long next = log.lastSeq() + 1;
            if (m.seq() < next) {
                return; // delivered already
            }
            if (m.seq() > next) {
                ahead.put(m.seq(), m);
                if (!gapCheckDue) {
                    gapCheckDue = true;
                    ctx.sendAfter(CheckGap.INSTANCE, GAP_WAIT);
                }
                return;
            }
            deliver(m);
            deliverAhead();
        }

        private void deliverAhead() {
            while (!ahead.isEmpty() && synced && unreplied == 0) {
                Map.Entry<Long, RoomOrder.Stored> first = ahead.firstEntry();
                if (!first.getValue().epoch().equals(log.epoch())) {
                    ahead.pollFirstEntry();
                    if (!syncing) {
                        sync(); // the store lost the room: start again under its new epoch
                    }
                    return;
                }
                if (first.getKey() <= log.lastSeq()) {
                    ahead.pollFirstEntry();
                } else if (first.getKey() == log.lastSeq() + 1) {
                    ahead.pollFirstEntry();
                    deliver(first.getValue());
                } else {
                    if (!gapCheckDue) {
                        gapCheckDue = true;
                        ctx.sendAfter(CheckGap.INSTANCE, GAP_WAIT);
                    }
                    return;
                }
            }
        }

        /** Stores the next message in the local log, fans it out, and acknowledges it if a local member sent it. */
        private void deliver(RoomOrder.Stored m) {
            Session.Broadcast message = new Session.Broadcast(room, m.seq(), OutFrame.message(m.frame(), System.nanoTime()));
            chat.rooms().append(log, m.seq(), message.frame());
            Appended mine = acks.remove(m.seq());
            if (mine != null) {
                chat.metrics().accepted(); // counted before anyone can see it, so a reader of the meter never lags the ack
            }
            broadcast(mine == null ? null : mine.session(), message);
            if (mine != null) {
                unanswered--;
                mine.session().send(new Session.Accepted(room, m.seq(), mine.ts(), mine.ref(), mine.request().id()));
            }
        }

        /** A gap still open after {@link #GAP_WAIT}: read what is missing from the stream. */
        private void fillGap() {
            if (filling || ahead.isEmpty() || ahead.firstKey() <= log.lastSeq() + 1 || !synced) {
                deliverAhead();
                return;
            }
            filling = true;
            ctx.pipeToSelf(order.read(room, log.lastSeq(), chat.settings().historySize(), false), Filled::new);
        }

        private void filled(RoomOrder.Snapshot snapshot, Throwable failure) {
            filling = false;
            if (failure != null) {
                gapCheckDue = true;
                ctx.sendAfter(CheckGap.INSTANCE, RESYNC_WAIT);
                return;
            }
            if (snapshot == null || !snapshot.epoch().equals(log.epoch())) {
                if (!syncing) {
                    sync();
                }
                return;
            }
            caughtUp(snapshot);
            deliverAhead();
        }

        private void post(Pid<Session.Msg> session, String text, String ref, String id) {
            int i = indexOf(session);
            if (i < 0) {
                session.send(new Session.NotMember(room, ref, id));
                return;
            }
            long seq = log.lastSeq() + 1;
            long now = System.nanoTime();
            String ts = Frames.timestamp(Instant.now());
            Session.Broadcast message = new Session.Broadcast(room, seq,
                    frames.message(room, seq, roster[i].user(), text, ts, now));
            chat.rooms().append(log, seq, message.frame());
            // stored: from here on nothing can fail, so it is counted, fanned out and acknowledged in this
            // same turn (counted first, so a reader of the meter never lags the ack)
            chat.metrics().accepted();
            broadcast(session, message);
            session.send(new Session.Accepted(room, seq, ts, ref, id));
        }

        private Behavior<Msg> onSignal(ProcessContext<Msg> ctx, Signal signal) {
            switch (signal) {
                case Signal.Down(var ref, var pid, var reason) -> {
                    MonitorRef mine = monitors.get(pid);
                    if (mine != null && mine.equals(ref)) {
                        int i = indexOf(pid);
                        if (i >= 0) {
                            boolean wasEmpty = roster.length == 0;
                            String user = roster[i].user();
                            remove(i);
                            leftHere(user);
                            return wasEmpty == (roster.length == 0) ? Behaviors.same() : behavior();
                        }
                    }
                    return Behaviors.same();
                }
                case Signal.PostStop p -> {
                    // a log with no members and no messages is freed now; one that has either stays for the next process
                    if (order != null) {
                        order.unsubscribe(room, feed);
                    }
                    if (presence != null) {
                        presence.unsubscribe(room, presenceFeed);
                    }
                    chat.rooms().detach(log, ctx.self());
                    chat.metrics().roomStopped();
                    return Behaviors.same();
                }
                default -> {
                    return Behaviors.same();
                }
            }
        }

        private OutFrame joinedFrame(Long since) {
            List<String> members = memberNames();
            if (since == null) {
                return frames.joined(room, log.epoch(), members, log.last(chat.settings().joinHistory()), false, false);
            }
            RoomLog.Slice slice = log.since(since, chat.settings().catchUpLimit(),
                    chat.settings().catchUpBytes().toBytes());
            return frames.joined(room, log.epoch(), members, slice.frames(), slice.truncated(), slice.more());
        }

        // ---- the roster

        private int indexOf(Pid<?> session) {
            RoomLog.Member[] r = roster;
            for (int i = 0; i < r.length; i++) {
                if (r[i].session() == session) {
                    return i;
                }
            }
            return -1;
        }

        /**
         * Adds a member, unless it is stale; false then. Of two sessions of one name, the later
         * claim wins, whatever order their requests arrive in: an earlier one (the session a resume
         * replaced) leaves first, and a late Join or Rejoin of that replaced session, arriving after
         * its successor's, changes nothing (it is answered, but it is on its way out). In cluster
         * mode the caller writes the member to presence, after the leave of the one it replaced.
         */
        private boolean add(Pid<Session.Msg> session, String user, long claim) {
            for (int i = 0; i < roster.length; i++) {
                if (roster[i].user().equalsIgnoreCase(user)) {
                    if (roster[i].claim() > claim) {
                        return false;
                    }
                    String old = roster[i].user();
                    remove(i);
                    leftHere(old);
                    break;
                }
            }
            RoomLog.Member[] next = Arrays.copyOf(roster, roster.length + 1);
            next[roster.length] = new RoomLog.Member(session, user, claim);
            publish(next);
            monitors.put(session, ctx.monitor(session));
            return true;
        }

        private void remove(int i) {
            Pid<Session.Msg> session = roster[i].session();
            RoomLog.Member[] next = new RoomLog.Member[roster.length - 1];
            System.arraycopy(roster, 0, next, 0, i);
            System.arraycopy(roster, i + 1, next, i, roster.length - i - 1);
            String user = roster[i].user();
            publish(next);
            if (presence != null) {
                tellPresence(presence.left(room, user, next.length == 0));
            }
            MonitorRef ref = monitors.remove(session);
            if (ref != null) {
                ctx.demonitor(ref);
            }
        }

        private void publish(RoomLog.Member[] next) {
            boolean emptied = next.length == 0 && roster.length > 0;
            roster = next;
            log.members(next);
            if (emptied) {
                chat.rooms().lastMemberLeft();
            }
        }

        /** A member of this node left: the others here see it go, unless the name is still in the room on another node. */
        private void leftHere(String user) {
            if (!log.remote().containsKey(user)) {
                broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", user)));
            }
        }

        /** Every member's name, this node's and the others', sorted. */
        private List<String> memberNames() {
            if (presence == null) {
                return log.memberNames();
            }
            TreeSet<String> names = new TreeSet<>(log.remote().keySet());
            for (RoomLog.Member m : roster) {
                names.add(m.user());
            }
            return List.copyOf(names);
        }

        /** Sends the one message object to every member but {@code except}. */
        private void broadcast(Pid<?> except, Session.Broadcast message) {
            for (RoomLog.Member m : roster) {
                if (m.session() != except) {
                    m.session().send(message);
                }
            }
        }
    }
}
