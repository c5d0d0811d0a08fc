package io.mailroom.supervision;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A thread-safe log of what test children did ("start:a", "stop:a", "asked:a"), in the order it happened. */
final class Events {
    private final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();

    void add(String event) {
        log.add(event);
    }

    List<String> all() {
        return List.copyOf(log);
    }

    /** The events of one kind ("start", "stop", "asked"), as the ids they name. */
    List<String> of(String kind) {
        String prefix = kind + ":";
        List<String> out = new ArrayList<>();
        for (String e : log) {
            if (e.startsWith(prefix)) {
                out.add(e.substring(prefix.length()));
            }
        }
        return out;
    }

    /** The events after the first {@code n}. */
    List<String> since(int n) {
        List<String> all = all();
        return all.subList(Math.min(n, all.size()), all.size());
    }

    int size() {
        return log.size();
    }

    @Override
    public String toString() {
        return log.toString();
    }
}
