package io.mailroom.process;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Unique process names (Erlang's {@code register/2}); a name is freed when its process ends. */
final class Registry {
    private final ConcurrentHashMap<String, Cell<?>> names = new ConcurrentHashMap<>();

    /** Registers {@code cell} under {@code name}; throws {@link NameTakenException} when taken. */
    void register(String name, Cell<?> cell) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a name must not be empty");
        }
        if (cell.registeredName() != null) {
            throw new IllegalStateException(cell + " is already registered as " + cell.registeredName());
        }
        Cell<?> holder = names.putIfAbsent(name, cell);
        if (holder != null) {
            if (!holder.isAlive()) {
                // its owner is ending and will remove it; take it over now
                if (names.replace(name, holder, cell)) {
                    cell.named(name);
                    return;
                }
            }
            throw new NameTakenException(name, names.get(name));
        }
        cell.named(name);
        if (!cell.isAlive()) {
            names.remove(name, cell);
            throw new IllegalStateException("cannot register " + name + ": " + cell + " is not alive");
        }
    }

    void unregister(String name, Cell<?> cell) {
        names.remove(name, cell);
    }

    Cell<?> whereis(String name) {
        Cell<?> c = names.get(name);
        return c != null && c.isAlive() ? c : null;
    }

    Map<String, Cell<?>> snapshot() {
        return Map.copyOf(names);
    }

    int size() {
        return names.size();
    }
}
