package io.mailroom.chat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The chat's meters (protocol.md §4), without pid, user or room tags: {@code mailroom_chat_sessions},
 * {@code mailroom_chat_rooms}, {@code mailroom_chat_messages_total}, the
 * {@code mailroom_chat_delivery_seconds} histogram, and the memory the room logs hold:
 * {@code mailroom_chat_history_bytes} and {@code mailroom_chat_room_logs}. Recording is a few atomic adds.
 */
public final class ChatMetrics {
    private final AtomicInteger rooms = new AtomicInteger();
    private final Counter messages;
    private final Timer delivery;

    public ChatMetrics(MeterRegistry registry, IntSupplier sessions, RoomStore store) {
        Gauge.builder("mailroom.chat.history", store, RoomStore::historyBytes).baseUnit(BaseUnits.BYTES)
                .description("UTF-8 bytes of the message frames stored across rooms (bounded by mailroom.chat.history-budget)")
                .strongReference(true).register(registry);
        Gauge.builder("mailroom.chat.room.logs", store, RoomStore::logCount)
                .description("room logs in use: rooms with a process, members or stored messages")
                .strongReference(true).register(registry);
        Gauge.builder("mailroom.chat.sessions", sessions, s -> s.getAsInt())
                .description("live chat sessions").strongReference(true).register(registry);
        Gauge.builder("mailroom.chat.rooms", rooms, AtomicInteger::get)
                .description("live room processes").strongReference(true).register(registry);
        this.messages = Counter.builder("mailroom.chat.messages")
                .description("accepted chat messages").register(registry);
        this.delivery = Timer.builder("mailroom.chat.delivery")
                .description("from a message's acceptance to its hand-off to each recipient's socket")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    void roomStarted() {
        rooms.incrementAndGet();
    }

    void roomStopped() {
        rooms.decrementAndGet();
    }

    void accepted() {
        messages.increment();
    }

    /** A chat message accepted at {@code accepted} ({@link System#nanoTime()}; 0: not a message) is handed to a socket. */
    public void handedOff(long accepted) {
        if (accepted != 0) {
            delivery.record(System.nanoTime() - accepted, TimeUnit.NANOSECONDS);
        }
    }

    /** Live room processes. */
    public int rooms() {
        return rooms.get();
    }
}
