package io.mailroom.chat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The chat's meters (protocol.md §4), without pid, user or room tags: {@code mailroom_chat_sessions},
 * {@code mailroom_chat_rooms}, {@code mailroom_chat_messages_total} and the
 * {@code mailroom_chat_delivery_seconds} histogram. Recording is a few atomic adds.
 */
public final class ChatMetrics {
    private final AtomicInteger rooms = new AtomicInteger();
    private final Counter messages;
    private final Timer delivery;

    public ChatMetrics(MeterRegistry registry, IntSupplier sessions) {
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
