package io.mailroom.supervision;

/** When a supervisor restarts a child that ended (OTP's restart types). */
public enum Restart {
    /** Always restarted. */
    PERMANENT,
    /** Restarted only after an abnormal exit: not after {@code normal} or {@code shutdown}. */
    TRANSIENT,
    /** Never restarted. */
    TEMPORARY;

    /** The lower-case word OTP uses: permanent, transient, temporary. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
