package io.mailroom.chat;

import io.mailroom.process.ExitReason;
import io.mailroom.process.MonitorRef;
import io.mailroom.process.Pid;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A session's link to one room: the state machine between the client's join, send and leave and
 * the room's process, which may end and be restarted at any time. A plain object with no process
 * and no Spring; the session feeds it the room's answers and signals, and it acts through a
 * {@link Port}.
 *
 * <p>Every request to the room stays in an "unconfirmed" queue until the room answers it. The
 * link monitors the room's process; when it ends, whatever it did not answer it did not do (a room
 * answers in order and dies between messages, never inside one), so the link looks the room up
 * again (the rooms supervisor starts it, or names the one it restarted) and sends it the
 * unconfirmed requests again, after a silent {@link Room.Rejoin} if the client is in the room,
 * which brings the messages missed meanwhile. Messages are passed on only if their seq is beyond
 * the last one passed on, so the client sees the room's seqs rise with no duplicate and no gap.
 * Join and Rejoin carry the session's claim serial: a room lets the later claim of a name win, so
 * a late request of a replaced session cannot evict its successor.
 *
 * <p>A post sent again may have been stored already: in cluster mode the room's process hands a
 * post to the store and may end before the store's answer comes back. The room says when it hands
 * one ({@link Session.Handed}); only those, and those sent again already, are sent again as
 * uncertain, for the next process must not refuse them unseen; a post the ended process never
 * handed (still in its mailbox, or sent to it after it ended) is certainly not stored, and the
 * next process may refuse it at once while the store is away. Each post carries an id, the
 * same in every resend, by which the store answers a resend with the post's first seq. That seq is
 * then in the Rejoin's catch-up too, and the client must get it as its {@code ack}, not as a
 * {@code message} as well (protocol.md §1: a message is not sent back to its sender; no seq twice).
 * So after a Rejoin the room's frames are held back until every post that was unanswered when the
 * room's process ended has its answer: each {@code ack} is passed on in seq order among them, and a
 * held frame of the acknowledged seq is dropped.
 */
final class RoomLink {
    /** Failed look-ups of the room in a row before the session gives up on it and crashes. */
    static final int MAX_ROOM_FAILURES = 20;
    /**
     * Ends of the room's process in a row, each with requests of this session unanswered, before
     * the session gives up and crashes: a request that kills every room it reaches (a poison
     * message) is then dropped with the session, before the restarts exceed the rooms
     * supervisor's intensity.
     */
    static final int MAX_ROOM_DEATHS = 3;

    /** Where a link stands, for the process page and for tests. */
    enum Phase {
        /** Join asked, {@code joined} not yet answered. */
        JOINING,
        /** In the room: its messages are passed on. */
        JOINED,
        /** Leave asked, not yet answered. */
        LEAVING,
        /** Not wanted and nothing unanswered: the session forgets the link. */
        DONE
    }

    /** What a link does through its session. */
    interface Port {
        /** Passes a frame of the room on to the client. */
        void emit(OutFrame frame);

        /** Monitors the room's process on the session's behalf; its DOWN is to come to {@code link}'s {@link #roomEnded}. */
        MonitorRef monitor(RoomLink link, Pid<Room.Msg> room);

        void demonitor(MonitorRef ref);

        /**
         * The process registered under the room's name now, if any. It may have ended and not be
         * unregistered yet: a process unregisters only after its own stop handler has run.
         */
        Optional<Pid<Room.Msg>> registered(String room);

        /**
         * Asks the rooms supervisor to start the room's process or name the one it has (waiting,
         * if that one has ended, until it has handled the end); the answer comes to {@link #found}
         * or {@link #notFound}.
         */
        void askSupervisor(RoomLink link);

        /** Calls {@link #retry} after {@code delay}. */
        void retryAfter(RoomLink link, Duration delay);

        /** Something that should not happen happened, and was coped with. */
        void warn(String message);
    }

    private final String room;
    private final Pid<Session.Msg> self;
    private final String user;
    private final long claim;
    private final Port port;

    /** The room's current process, or null while it is looked up. */
    private Pid<Room.Msg> pid;
    private MonitorRef monitor;
    private boolean resolving;
    private int failures;
    /** Ends of the room's process in a row while this session had requests unanswered. */
    private int deaths;
    /** The client asked to be in the room (join) and has not asked to leave. */
    private boolean wanted;
    /** The client has had {@code joined} and not {@code left}: messages are passed on. */
    private boolean live;
    /** A Rejoin is on its way: messages are in its answer, so the live ones are not passed on. */
    private boolean rejoining;
    /** The highest seq passed on to the client. */
    private long lastSeq;
    /** Requests the room has not answered yet, in the order sent. */
    private final ArrayDeque<Room.Msg> unconfirmed = new ArrayDeque<>();
    /**
     * Posts that were unanswered when the room's process last ended, and that it had handed to the
     * store: any of them may be stored, and in the catch-up.
     */
    private int suspects;
    /** Ids of the unconfirmed posts the room's current process has handed to its store. */
    private final Set<String> handed = new HashSet<>(4);
    /** The room's frames held back while {@link #suspects} are unanswered, in arrival order: {seq (0 for presence), frame}. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** Random: post ids differ across sessions and nodes; the count makes them differ within the link. */
    private final String postIds = Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36);
    private long posts;

    private record Held(long seq, OutFrame frame) {}

    RoomLink(String room, Pid<Session.Msg> self, String user, long claim, Port port) {
        this.room = room;
        this.self = self;
        this.user = user;
        this.claim = claim;
        this.port = port;
    }

    String room() {
        return room;
    }

    /** The client is in the room or on its way in: counts against its rooms, and may send. */
    boolean wanted() {
        return wanted;
    }

    Phase phase() {
        if (wanted) {
            return live ? Phase.JOINED : Phase.JOINING;
        }
        return unconfirmed.isEmpty() && !resolving ? Phase.DONE : Phase.LEAVING;
    }

    MonitorRef monitor() {
        return monitor;
    }

    long lastSeq() {
        return lastSeq;
    }

    int unconfirmed() {
        return unconfirmed.size();
    }

    // ---- the client's requests

    /** Join (again: a join while in the room answers {@code joined} once more, with the catch-up asked for). */
    void join(Long since) {
        wanted = true;
        request(new Room.Join(self, user, claim, since));
    }

    void leave() {
        wanted = false;
        request(new Room.Leave(self));
    }

    void post(String text, String ref) {
        request(new Room.Post(self, text, ref, postIds + "." + (++posts)));
    }

    // ---- the room's answers

    /** The room's process hands the post {@code post} to its store: from now on it may be stored. */
    void handed(String post) {
        handed.add(post);
    }

    void joined(long seq) {
        release();
        confirm(Room.Join.class);
        live = true;
        lastSeq = Math.max(lastSeq, seq);
        answered();
    }

    /**
     * The room's seqs started again under a new epoch while the client stayed in it: the seqs it
     * holds are of the old epoch, so the count starts again at {@code seq}. False if the client is
     * not in the room (nothing to tell it).
     */
    boolean epochChanged(long seq) {
        if (!live) {
            return false;
        }
        held.clear(); // frames of the old epoch
        lastSeq = seq;
        return true;
    }

    void left() {
        release();
        confirm(Room.Leave.class);
        live = false;
        answered();
    }

    /**
     * The room stored a post as {@code seq}: its {@code ack} is passed on, after the held frames
     * before it (a held frame of {@code seq} itself is the sender's own message: dropped).
     */
    void accepted(long seq, OutFrame ack, String post) {
        boolean suspect = confirmPost(post);
        while (!held.isEmpty() && held.peekFirst().seq() < seq) {
            pass(held.pollFirst());
        }
        if (!held.isEmpty() && held.peekFirst().seq() == seq) {
            held.pollFirst();
        }
        port.emit(ack);
        lastSeq = Math.max(lastSeq, seq);
        answered();
        if (suspect) {
            suspectAnswered();
        }
    }

    void notMember(String post) {
        if (confirmPost(post)) {
            suspectAnswered();
        }
    }

    /**
     * The room could not do a Post, or a Join ({@code join}), because the store that orders it
     * across nodes cannot be reached (cluster mode): nothing was done. A first join not done
     * leaves the client out of the room; true then, so the session stops counting the room.
     */
    boolean unavailable(boolean join, String post) {
        if (join) {
            confirm(Room.Join.class);
        } else if (confirmPost(post)) {
            suspectAnswered();
        }
        if (join && wanted && !live) {
            wanted = false;
            return true;
        }
        return false;
    }

    /** The Rejoin's catch-up: {@code missed} holds the stored messages from {@code firstSeq} on. */
    void rejoined(long firstSeq, List<OutFrame> missed) {
        confirm(Room.Rejoin.class);
        rejoining = false;
        answered();
        long seq = firstSeq;
        for (OutFrame f : missed) {
            if (live && seq > lastSeq) {
                if (suspects > 0) {
                    held.addLast(new Held(seq, f));
                } else {
                    port.emit(f);
                    lastSeq = seq;
                }
            }
            seq++;
        }
    }

    /** A message ({@code seq > 0}) or a presence event ({@code seq == 0}) of the room. */
    void broadcast(long seq, OutFrame frame) {
        if (!live) {
            return;
        }
        if (suspects > 0 && !rejoining && (seq == 0 || seq > lastSeq)) {
            held.addLast(new Held(seq, frame)); // in order behind the held catch-up
        } else if (seq == 0) {
            port.emit(frame);
        } else if (!rejoining && seq > lastSeq) {
            port.emit(frame);
            lastSeq = seq;
        }
    }

    // ---- the room's process

    /** The rooms supervisor's answer: the room's process, started or already running. */
    void found(Pid<Room.Msg> room) {
        if (!resolving) {
            return; // stale: not looked up any more
        }
        if (!room.isAlive()) {
            // it ended after the supervisor named it: ask the supervisor again (not the registry,
            // which may still name it), bounded as every failure
            failed("its supervisor keeps naming ended processes");
            port.askSupervisor(this);
            return;
        }
        attach(room);
    }

    /** The look-up failed (the supervisor is away, or refused): try again a little later, bounded. */
    void notFound(String why) {
        if (!resolving) {
            return;
        }
        failed(why);
        port.retryAfter(this, Duration.ofMillis(Math.min(200, 5L * failures)));
    }

    /** The delay of {@link #notFound} is over. */
    void retry() {
        if (resolving) {
            lookUp();
        }
    }

    /**
     * The room's process ended: whatever it did not answer, it did not do. Look the room up again,
     * re-attach silently (with the messages missed meanwhile) and send the rest again.
     */
    void roomEnded(ExitReason reason) {
        pid = null;
        monitor = null;
        boolean waiting = unconfirmed.stream().anyMatch(m -> !(m instanceof Room.Rejoin));
        if (!waiting) {
            deaths = 0; // it did not die of anything this session sent
        } else if (++deaths >= MAX_ROOM_DEATHS) {
            throw new IllegalStateException("room " + room + " ended " + deaths
                    + " times in a row with requests of this session unanswered: " + reason);
        }
        unconfirmed.removeIf(m -> m instanceof Room.Rejoin);
        // a post the process handed to the store may be stored: the next one must not refuse it unseen
        List<Room.Msg> again = unconfirmed.stream()
                .map(m -> m instanceof Room.Post p && handed.contains(p.id()) ? p.again() : m).toList();
        handed.clear();
        unconfirmed.clear();
        unconfirmed.addAll(again);
        suspects = (int) unconfirmed.stream().filter(m -> m instanceof Room.Post p && p.uncertain()).count();
        held.clear(); // the next Rejoin brings them again: nothing held was passed on
        if (live) {
            unconfirmed.addFirst(new Room.Rejoin(self, user, claim, lastSeq));
            rejoining = true;
        }
        if (!unconfirmed.isEmpty()) {
            resolving = true;
            lookUp();
        }
    }

    /** The session is done with the link: stop watching the room. */
    void close() {
        if (monitor != null) {
            port.demonitor(monitor);
            monitor = null;
        }
    }

    /** For the process page. */
    Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("room", room);
        d.put("pid", pid == null ? null : pid.toString());
        d.put("joined", live);
        d.put("lastSeq", lastSeq);
        d.put("unconfirmed", unconfirmed.size());
        return d;
    }

    // ----

    /** Sends a request to the room, now or once its process is known; it stays unconfirmed until answered. */
    private void request(Room.Msg request) {
        unconfirmed.addLast(request);
        if (pid != null) {
            pid.send(request);
        } else if (!resolving) {
            resolving = true;
            lookUp();
        }
    }

    /** One of the {@link #suspects} is answered; once all are, the held frames go on. */
    private void suspectAnswered() {
        if (suspects > 0 && --suspects == 0) {
            release();
        }
    }

    /** Passes every held frame on (but seqs passed on already) and holds no more. */
    private void release() {
        suspects = 0;
        while (!held.isEmpty()) {
            pass(held.pollFirst());
        }
    }

    private void pass(Held h) {
        if (h.seq() == 0) {
            port.emit(h.frame());
        } else if (h.seq() > lastSeq) {
            port.emit(h.frame());
            lastSeq = h.seq();
        }
    }

    /** Takes the answered request off the queue: the oldest, which a room answers first. */
    private void confirm(Class<? extends Room.Msg> kind) {
        Room.Msg head = unconfirmed.peekFirst();
        if (kind.isInstance(head)) {
            unconfirmed.pollFirst();
            return;
        }
        port.warn(kind.getSimpleName() + " answered out of order in room " + room + " (expected " + head + ")");
        for (Iterator<Room.Msg> it = unconfirmed.iterator(); it.hasNext(); ) {
            if (kind.isInstance(it.next())) {
                it.remove();
                break;
            }
        }
    }

    /**
     * The room answered the post with id {@code post}: it is confirmed, wherever it stands among
     * the unconfirmed requests (a room in cluster mode may refuse a later post before it answers an
     * earlier one). True if it was a suspect: sent again after a process of the room had ended.
     */
    private boolean confirmPost(String post) {
        for (Iterator<Room.Msg> it = unconfirmed.iterator(); it.hasNext(); ) {
            if (it.next() instanceof Room.Post p && p.id() != null && p.id().equals(post)) {
                it.remove();
                handed.remove(post);
                return p.uncertain();
            }
        }
        Room.Msg head = unconfirmed.stream().filter(m -> m instanceof Room.Post).findFirst().orElse(null);
        confirm(Room.Post.class); // no id to go by: the first post, as the room answers in order
        return head instanceof Room.Post p && p.uncertain();
    }

    private void answered() {
        failures = 0;
        deaths = 0;
    }

    private void failed(String why) {
        if (++failures > MAX_ROOM_FAILURES) {
            throw new IllegalStateException("room " + room + " cannot be reached: " + why);
        }
    }

    /**
     * Finds the room's process: the one registered under its name if it is alive, else the rooms
     * supervisor's answer. A registered process that has ended is not taken, and not read again:
     * it stays registered while its stop handler runs, and reading the registry again and again
     * in one turn would only spend the failure bound on it (the session crashed so, joining a
     * room being restarted). The supervisor answers once it has handled that end.
     */
    private void lookUp() {
        Pid<Room.Msg> registered = port.registered(room).orElse(null);
        if (registered != null && registered.isAlive()) {
            attach(registered);
        } else {
            port.askSupervisor(this);
        }
    }

    /** Monitors the room's process and sends it every unconfirmed request, in order. */
    private void attach(Pid<Room.Msg> room) {
        resolving = false;
        pid = room;
        monitor = port.monitor(this, room);
        for (Room.Msg m : unconfirmed) {
            room.send(m);
        }
    }
}
