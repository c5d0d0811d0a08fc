package io.mailroom.chat;

import io.mailroom.process.Pid;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every room's {@link RoomLog} that is in use, and the node's history budget. Room processes come
 * and go (they crash and are restarted, they stop when idle); a log stays while its room has a
 * process, members or stored messages, so a crash loses nothing. Thread-safe: rooms run on several
 * schedulers and share it.
 *
 * <p><b>Freeing.</b> A log that has none of the three is let go (a {@code join}/{@code leave} loop
 * over ever new rooms must not pile up logs). If its room had messages, a tombstone of its last seq
 * and epoch stays (a few dozen bytes), so the next log of that room numbers on in the same epoch.
 * At most {@link #MAX_TOMBSTONES} are kept, least recently used going first; a room whose
 * tombstone went starts again from seq 1 under a new epoch, which the contract allows (the
 * history was lost) and clients notice by the epoch.
 *
 * <p><b>Budget.</b> The UTF-8 bytes of every stored frame are summed in one atomic counter. When a
 * message takes the total past {@code budget}, the history of rooms without members is dropped,
 * least recently used first, until the total is back under 90 % of it (so the scan, which looks at
 * every log, runs once per tenth of the budget at most). Rooms with members keep theirs, so each
 * keeps at least its last {@code capacity} messages, and the total may pass the budget while they
 * hold it; when a room's last member leaves, the drop runs again. One thread drops at a time; the
 * others go on, and it drops once more for what they added meanwhile.
 *
 * <p>Every change of which log a room has (create, attach, free) runs inside
 * {@link ConcurrentHashMap#compute} on the room's key, so it is atomic per room and needs no lock
 * of the store's.
 */
public final class RoomStore {
    /** Tombstones kept at most: about 100 bytes each with the room's name, so ~10 MB. */
    public static final int MAX_TOMBSTONES = 100_000;

    /** What a freed log leaves behind when its room had messages. */
    private record Tombstone(String epoch, long lastSeq) {}

    private final ConcurrentHashMap<String, RoomLog> logs = new ConcurrentHashMap<>();
    private final Map<String, Tombstone> tombstones = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tombstone> eldest) {
            return size() > MAX_TOMBSTONES;
        }
    };
    private final int capacity;
    private final long budget;
    private final long lowWater;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean dropping = new AtomicBoolean();
    /** Set by a thread that wanted to drop while another was at it: drop once more. */
    private final AtomicBoolean dropAgain = new AtomicBoolean();
    /** Epochs are this node's random prefix and a serial: unique per log, unguessable across restarts. */
    private final String node = Long.toString(new SecureRandom().nextLong() >>> 16, 36);
    private final AtomicLong epochs = new AtomicLong();

    /** A store without a budget. */
    public RoomStore(int capacity) {
        this(capacity, Long.MAX_VALUE);
    }

    /**
     * @param capacity messages each room stores at most
     * @param budget   UTF-8 bytes of stored frames across rooms past which rooms without members lose theirs
     */
    public RoomStore(int capacity, long budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be >= 1 byte, was " + budget);
        }
        this.capacity = capacity;
        this.budget = budget;
        this.lowWater = budget - budget / 10;
    }

    /**
     * The room's log, for its process {@code owner}: the one in use, or a new one (numbering on from
     * the room's tombstone if it has one). The log stays until {@link #detach}.
     */
    public RoomLog attach(String room, Pid<?> owner) {
        return logs.compute(room, (r, log) -> {
            RoomLog out = log != null ? log : create(r);
            out.owner = owner;
            return out;
        });
    }

    /** The room's process {@code owner} is ending: its log is freed if nothing else holds it. */
    public void detach(RoomLog log, Pid<?> owner) {
        logs.computeIfPresent(log.room(), (r, current) -> {
            if (current != log || current.owner != owner) {
                return current;
            }
            current.owner = null;
            return freeIfUnused(current);
        });
    }

    private RoomLog create(String room) {
        Tombstone t;
        synchronized (tombstones) {
            t = tombstones.remove(room);
        }
        return t != null
                ? new RoomLog(room, capacity, t.epoch(), t.lastSeq())
                : new RoomLog(room, capacity, node + "-" + Long.toString(epochs.incrementAndGet(), 36), 0);
    }

    /** Null (the log is dropped from the map) if no process, member or message holds it; else the log. */
    private RoomLog freeIfUnused(RoomLog log) {
        Pid<?> owner = log.owner;
        if ((owner != null && owner.isAlive()) || log.members().length > 0 || log.stored() > 0) {
            return log;
        }
        long lastSeq = log.lastSeq();
        if (lastSeq > 0) {
            synchronized (tombstones) {
                tombstones.put(log.room(), new Tombstone(log.epoch(), lastSeq));
            }
        }
        return null;
    }

    /**
     * Cluster mode: the room's log starts again as a copy of the shared history, under its
     * {@code epoch}, empty after {@code lastSeq} (its process then appends what the store holds
     * after it). The roster, and the members known on other nodes, stay. Returns the new log, which replaces {@code old}.
     */
    public RoomLog rebase(RoomLog old, Pid<?> owner, String epoch, long lastSeq) {
        return logs.compute(old.room(), (r, current) -> {
            RoomLog next = new RoomLog(r, capacity, epoch, lastSeq);
            next.members(old.members());
            next.remote(old.remote());
            next.owner = owner;
            if (current != null) {
                bytes.addAndGet(-current.bytes());
            }
            return next;
        });
    }

    /** Stores message {@code seq} in the log (its process calls this) and keeps the node within its budget. */
    public void append(RoomLog log, long seq, OutFrame frame) {
        long total = bytes.addAndGet(log.append(seq, frame));
        if (total > budget) {
            dropLeastRecentlyUsed();
        }
    }

    /**
     * A room's last member has left: if the node is past its budget (rooms with members may take it
     * there, and in cluster mode each room loads its copy of the shared history while a member
     * waits for it), rooms without members give theirs back now rather than at the next message.
     */
    public void lastMemberLeft() {
        if (bytes.get() > budget) {
            dropLeastRecentlyUsed();
        }
    }

    /**
     * Drops the history of rooms without members, least recently used first, down to the low-water
     * mark. A thread that finds another dropping leaves it a note and goes on; the dropper reads the
     * note after letting go and drops again, so bytes that came in meanwhile are not left past the
     * budget until the next append (Caffeine's drain status, in two flags).
     */
    private void dropLeastRecentlyUsed() {
        dropAgain.set(true);
        while (dropAgain.get() && dropping.compareAndSet(false, true)) {
            try {
                dropAgain.set(false);
                dropPass();
            } finally {
                dropping.set(false);
            }
        }
    }

    private void dropPass() {
        List<RoomLog> candidates = new ArrayList<>();
        for (RoomLog log : logs.values()) {
            if (log.members().length == 0 && log.stored() > 0) {
                candidates.add(log);
            }
        }
        candidates.sort(Comparator.comparingLong(RoomLog::lastUsed));
        for (RoomLog log : candidates) {
            if (bytes.get() <= lowWater) {
                break;
            }
            long freed = log.dropHistoryIfNoMembers();
            if (freed > 0) {
                bytes.addAndGet(-freed);
                logs.computeIfPresent(log.room(), (r, current) -> current == log ? freeIfUnused(current) : current);
            }
        }
    }

    /** The room's log, if it is in use (it has a process, members or stored messages). */
    public Optional<RoomLog> find(String room) {
        return Optional.ofNullable(logs.get(room));
    }

    /** Every log in use, sorted by room name. */
    public List<RoomLog> all() {
        List<RoomLog> out = new ArrayList<>(logs.values());
        out.sort(Comparator.comparing(RoomLog::room));
        return out;
    }

    /** Logs in use now. */
    public int logCount() {
        return logs.size();
    }

    /** Rooms freed after they had messages, whose last seq and epoch are kept. */
    public int tombstoneCount() {
        synchronized (tombstones) {
            return tombstones.size();
        }
    }

    /** UTF-8 bytes of every room's stored frames. */
    public long historyBytes() {
        return bytes.get();
    }

    /** The budget for {@link #historyBytes()}. */
    public long budget() {
        return budget;
    }
}
