package io.mailroom.observe;

import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.process.ProcessView;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Pids as management paths carry them. */
final class Pids {
    private Pids() {}

    /**
     * The live process a path segment names: {@code <0.12.0>}, whether the server already decoded
     * {@code %3C0.12.0%3E} or not (a client that encoded twice still finds it).
     */
    static Optional<Pid<?>> find(Node node, String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.trim();
        for (int i = 0; i < 2 && s.indexOf('%') >= 0; i++) {
            try {
                s = URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return node.pid(s);
    }

    /**
     * The supervisor column of a process: its parent's registered name (or pid) when the parent
     * is a supervisor, else null.
     */
    static String supervisorOf(Pid<?> parent) {
        if (parent instanceof ProcessView view && "supervisor".equals(view.type())) {
            String name = view.registeredName();
            return name != null ? name : parent.toString();
        }
        return null;
    }
}
