package io.mailroom.web;

import java.util.regex.Pattern;

/** The contract's naming rules. */
public final class Names {
    /** Rooms and counters: {@code ^[a-z0-9][a-z0-9_-]{0,31}$}. */
    public static final Pattern ROOM = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,31}$");

    private Names() {}

    public static boolean isRoomName(String name) {
        return name != null && ROOM.matcher(name).matches();
    }
}
