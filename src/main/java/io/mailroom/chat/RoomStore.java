package io.mailroom.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Every room's {@link RoomLog}, kept for the life of the node: room processes come and go (they
 * crash and are restarted, they stop when idle), their logs stay. Thread-safe.
 */
public final class RoomStore {
    private final ConcurrentSkipListMap<String, RoomLog> logs = new ConcurrentSkipListMap<>();
    private final int capacity;

    public RoomStore(int capacity) {
        this.capacity = capacity;
    }

    /** The room's log, created empty on first use. */
    public RoomLog log(String room) {
        return logs.computeIfAbsent(room, r -> new RoomLog(r, capacity));
    }

    /** The room's log, if the room was ever used. */
    public Optional<RoomLog> find(String room) {
        return Optional.ofNullable(logs.get(room));
    }

    /** Every log, sorted by room name. */
    public List<RoomLog> all() {
        return new ArrayList<>(logs.values());
    }
}
