package io.mailroom.names;

import java.util.regex.Pattern;

/**
 * The contract's naming rules, shared by the chat (room names) and the counters (counter names):
 * a domain rule, not a web one, so that neither feature needs the web layer to check a name.
 */
public final class Names {
    /** Rooms and counters: {@code ^[a-z0-9][a-z0-9_-]{0,31}$}. */
    public static final Pattern ROOM = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,31}$");

    private Names() {}

    public static boolean isRoomName(String name) {
        return name != null && ROOM.matcher(name).matches();
    }
}
