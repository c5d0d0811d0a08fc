package io.mailroom.names;

import java.util.List;

/**
 * The registered names of the service tree's supervisors: what the features start their processes
 * under and what the management endpoints and meters report on. Plain constants, so that reading a
 * name does not pull in the Spring wiring that starts the tree.
 */
public final class SupervisorNames {
    public static final String ROOT = "root";
    public static final String ROOMS = "rooms";
    public static final String SESSIONS = "sessions";
    public static final String COUNTERS = "counters";

    /** Every supervisor of the tree, the root first, then its children in start order. */
    public static final List<String> ALL = List.of(ROOT, ROOMS, SESSIONS, COUNTERS);

    private SupervisorNames() {}
}
