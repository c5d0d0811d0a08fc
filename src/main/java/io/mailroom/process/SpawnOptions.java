package io.mailroom.process;

import java.util.Objects;

/**
 * How to spawn a process: its registered name, its type label (for introspection and metrics),
 * and its mailbox bound. Immutable; one instance can serve any number of spawns when it has no
 * name, so spawning many processes of a kind allocates nothing for their options.
 *
 * @param name          registered name, or null; spawning fails if the name is taken
 * @param type          a short word for introspection and metrics ({@code room}, {@code session}…)
 * @param mailboxBound  the most messages the mailbox holds, or 0 for unbounded
 * @param overflow      what a full bounded mailbox does
 * @param trapExits     whether the process starts trapping exits
 */
public record SpawnOptions(String name, String type, int mailboxBound, OverflowPolicy overflow, boolean trapExits) {

    /** Unnamed, type {@code process}, unbounded mailbox, not trapping exits. */
    public static final SpawnOptions DEFAULT = new SpawnOptions(null, "process", 0, OverflowPolicy.DROP_NEWEST, false);

    public SpawnOptions {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(overflow, "overflow");
        if (mailboxBound < 0) {
            throw new IllegalArgumentException("mailboxBound must be >= 0, was " + mailboxBound);
        }
    }

    public static SpawnOptions named(String name) {
        return DEFAULT.withName(name);
    }

    public static SpawnOptions ofType(String type) {
        return DEFAULT.withType(type);
    }

    public SpawnOptions withName(String name) {
        return new SpawnOptions(name, type, mailboxBound, overflow, trapExits);
    }

    public SpawnOptions withType(String type) {
        return new SpawnOptions(name, type, mailboxBound, overflow, trapExits);
    }

    public SpawnOptions withMailbox(int bound, OverflowPolicy policy) {
        return new SpawnOptions(name, type, bound, policy, trapExits);
    }

    public SpawnOptions trappingExits() {
        return new SpawnOptions(name, type, mailboxBound, overflow, true);
    }
}
