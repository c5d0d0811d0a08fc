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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** What a room accepts: requests from sessions, each answered with one reply. */
    public sealed interface Msg {}

    /**
     * Join (again); answered with {@link Session.Joined}. Others see presence join if it is new.
     * {@code claim} is the session's {@link SessionDirectory.Claim#serial()}.
     */
    public record Join(Pid<Session.Msg> session, String user, long claim, Long since) implements Msg {}

    /** Leave; answered with {@link Session.Left}. Others see presence leave if it was a member. */
    public record Leave(Pid<Session.Msg> session) implements Msg {}

    /** Post a message; answered with {@link Session.Accepted} (or {@link Session.NotMember}). */
    public record Post(Pid<Session.Msg> session, String text, String ref) implements Msg {}

    /**
     * A member re-attaches after the room's process changed: answered with {@link Session.Rejoined},
     * holding the messages after {@code since}. Silent: no presence event, no {@code joined}.
     */
    public record Rejoin(Pid<Session.Msg> session, String user, long claim, long since) implements Msg {}

    /** The registered name of a room's process. */
    public static String processName(String room) {
        return "room:" + room;
    }

    /** How the rooms supervisor starts (and restarts) the room's process. */
    public static ChildSpec<Msg> childSpec(String room, ChatContext chat) {
        return ChildSpec.<Msg>worker(processName(room), () -> start(room, chat))
                .withOptions(SpawnOptions.ofType("room").withName(processName(room)))
                .withRestart(Restart.TRANSIENT);
    }

    /** A room picking up where its log stands: monitors the members on the roster. */
    public static Behavior<Msg> start(String room, ChatContext chat) {
        return Behaviors.setup(ctx -> {
            State state = new State(room, chat, chat.rooms().attach(room, ctx.self()), ctx);
            for (RoomLog.Member m : state.roster) {
                state.monitors.put(m.session(), ctx.monitor(m.session()));
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
        final RoomLog log;
        final ProcessContext<Msg> ctx;
        final Map<Pid<?>, MonitorRef> monitors = new HashMap<>();
        RoomLog.Member[] roster;

        State(String room, ChatContext chat, RoomLog log, ProcessContext<Msg> ctx) {
            this.room = room;
            this.chat = chat;
            this.frames = chat.frames();
            this.log = log;
            this.ctx = ctx;
            this.roster = log.members();
        }

        Behavior<Msg> behavior() {
            Behavior<Msg> b = Behaviors.<Msg>receive(this::onMessage).onSignal(this::onSignal).describedBy(this::describe);
            return roster.length == 0
                    ? b.receiveTimeout(chat.settings().roomIdleTimeout(), c -> Behaviors.stopped())
                    : b;
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
            d.put("lastSeq", log.lastSeq());
            d.put("epoch", log.epoch());
            return d;
        }

        private Behavior<Msg> onMessage(ProcessContext<Msg> ctx, Msg msg) {
            boolean wasEmpty = roster.length == 0;
            switch (msg) {
                case Join(var session, var user, var claim, var since) -> {
                    if (indexOf(session) < 0 && add(session, user, claim)) {
                        broadcast(session, new Session.Broadcast(room, 0, frames.presence(room, "join", user)));
                    }
                    session.send(new Session.Joined(room, log.lastSeq(), joinedFrame(since)));
                }
                case Leave(var session) -> {
                    int i = indexOf(session);
                    if (i >= 0) {
                        String user = roster[i].user();
                        remove(i);
                        broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", user)));
                    }
                    session.send(new Session.Left(room));
                }
                case Post(var session, var text, var ref) -> post(session, text, ref);
                case Rejoin(var session, var user, var claim, var since) -> {
                    if (indexOf(session) < 0) {
                        add(session, user, claim);
                    }
                    RoomLog.Slice missed = log.since(since, chat.settings().catchUpLimit());
                    session.send(new Session.Rejoined(room, missed.firstSeq(), missed.frames()));
                }
            }
            return wasEmpty == (roster.length == 0) ? Behaviors.same() : behavior();
        }

        private void post(Pid<Session.Msg> session, String text, String ref) {
            int i = indexOf(session);
            if (i < 0) {
                session.send(new Session.NotMember(room, ref));
                return;
            }
            long seq = log.lastSeq() + 1;
            long now = System.nanoTime();
            String ts = Frames.timestamp(Instant.now());
            Session.Broadcast message = new Session.Broadcast(room, seq,
                    frames.message(room, seq, roster[i].user(), text, ts, now));
            chat.rooms().append(log, seq, message.frame());
            // stored: from here on nothing can fail, so it is fanned out and acknowledged in this same turn
            broadcast(session, message);
            session.send(new Session.Accepted(room, seq, ts, ref));
            chat.metrics().accepted();
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
                            broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", user)));
                            return wasEmpty == (roster.length == 0) ? Behaviors.same() : behavior();
                        }
                    }
                    return Behaviors.same();
                }
                case Signal.PostStop p -> {
                    // a log with no members and no messages is freed now; one that has either stays for the next process
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
            List<String> members = log.memberNames();
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
         * its successor's, changes nothing (it is answered, but it is on its way out).
         */
        private boolean add(Pid<Session.Msg> session, String user, long claim) {
            for (int i = 0; i < roster.length; i++) {
                if (roster[i].user().equalsIgnoreCase(user)) {
                    if (roster[i].claim() > claim) {
                        return false;
                    }
                    String old = roster[i].user();
                    remove(i);
                    broadcast(null, new Session.Broadcast(room, 0, frames.presence(room, "leave", old)));
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
            publish(next);
            MonitorRef ref = monitors.remove(session);
            if (ref != null) {
                ctx.demonitor(ref);
            }
        }

        private void publish(RoomLog.Member[] next) {
            roster = next;
            log.members(next);
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
