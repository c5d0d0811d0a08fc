package io.mailroom.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The exact checker's shared half: what every seq of every room carries (sender and text, the
 * first time any member saw it, which every later sighting must match), every acknowledged
 * message, and the counts of breaches. The per-member half is {@link MemberLog}.
 */
final class DeliveryChecker {
    private static final int MAX_PROBLEMS = 40;

    /** room → seq → "from\ntext", as first seen. */
    private final Map<String, Map<Long, String>> content = new ConcurrentHashMap<>();
    /** room → seq → "from\ntext" of each acknowledged message. */
    private final Map<String, Map<Long, String>> acked = new ConcurrentHashMap<>();
    private final List<String> problems = new ArrayList<>();

    final LongAdder deliveries = new LongAdder();
    final LongAdder liveDeliveries = new LongAdder();
    final LongAdder historyDeliveries = new LongAdder();
    final LongAdder restDeliveries = new LongAdder();
    final LongAdder restOverlaps = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder outOfOrder = new LongAdder();
    final LongAdder mismatches = new LongAdder();
    final LongAdder acks = new LongAdder();

    /** A member received {@code seq} of {@code log}'s room from {@code source}. */
    void received(MemberLog log, long seq, String from, String text, MemberLog.Source source) {
        String value = from + "\n" + text;
        String first = content.computeIfAbsent(log.room, r -> new ConcurrentHashMap<>()).putIfAbsent(seq, value);
        if (first != null && !first.equals(value)) {
            mismatches.increment();
            problem("%s seq %d reached %s as %s, another member saw %s", log.room, seq, log.user,
                    value.replace('\n', ':'), first.replace('\n', ':'));
        }
        long before = log.last();
        switch (log.receive(seq, source)) {
            case NEXT -> count(source);
            case REST_OVERLAP -> restOverlaps.increment();
            case DUPLICATE -> {
                duplicates.increment();
                problem("%s got seq %d of %s twice (%s); its last events: %s", log.user, seq, log.room, source, log.trail());
            }
            case OUT_OF_ORDER -> {
                count(source);
                outOfOrder.increment();
                problem("%s got seq %d of %s out of order (%s; had up to %d before); its last events: %s", log.user, seq,
                        log.room, source, before, log.trail());
            }
        }
    }

    private void count(MemberLog.Source source) {
        deliveries.increment();
        switch (source) {
            case LIVE -> liveDeliveries.increment();
            case HISTORY -> historyDeliveries.increment();
            case REST -> restDeliveries.increment();
            case ACK -> acks.increment();
        }
    }

    /** The server acknowledged {@code seq} for a message {@code from} sent with {@code text}. */
    void acknowledged(String room, long seq, String from, String text) {
        String previous = acked.computeIfAbsent(room, r -> new ConcurrentHashMap<>()).putIfAbsent(seq, from + "\n" + text);
        if (previous != null) {
            mismatches.increment();
            problem("%s seq %d acknowledged twice: to %s and before as %s", room, seq, from, previous.replace('\n', ':'));
        }
    }

    Map<Long, String> acked(String room) {
        return acked.getOrDefault(room, Map.of());
    }

    Map<Long, String> seen(String room) {
        return content.getOrDefault(room, Map.of());
    }

    synchronized void problem(String format, Object... args) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(String.format(format, args));
        }
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }
}
