package io.mailroom.supervision;

/** The answer to {@link Supervisor#deleteChild} (OTP's {@code delete_child}: {@code ok} or an error). */
public enum DeleteResult {
    /** The child was not running and is forgotten: its id may be started again. */
    DELETED,
    /** The child is running: terminate it first. */
    RUNNING,
    /** The child's restart failed and is to be tried again. */
    RESTARTING,
    /** No static child has that id. */
    NOT_FOUND,
    /** A dynamic supervisor has no static children to delete (OTP's {@code simple_one_for_one}). */
    DYNAMIC;

    /** OTP's word: ok, running, restarting, not_found, dynamic. */
    public String label() {
        return this == DELETED ? "ok" : name().toLowerCase(java.util.Locale.ROOT);
    }
}
