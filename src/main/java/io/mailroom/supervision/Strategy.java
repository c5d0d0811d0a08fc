package io.mailroom.supervision;

/** Which children a supervisor restarts when one of them ends and must be restarted. */
public enum Strategy {
    /** Only the child that ended. */
    ONE_FOR_ONE,
    /** All children: the others are stopped (in reverse start order), then all are started in order. */
    ONE_FOR_ALL,
    /** The child that ended and every child started after it. */
    REST_FOR_ONE;

    /** OTP's spelling: one_for_one, one_for_all, rest_for_one. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
