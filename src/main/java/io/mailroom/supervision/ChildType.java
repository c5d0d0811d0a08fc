package io.mailroom.supervision;

/** Whether a child is a worker or a supervisor (OTP's {@code type}). */
public enum ChildType {
    WORKER,
    SUPERVISOR;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
