package io.mailroom.process;

/** Registering a name that a live process already holds. */
public final class NameTakenException extends IllegalStateException {
    private final String name;
    private final transient Pid<?> holder;

    public NameTakenException(String name, Pid<?> holder) {
        super("name already registered: " + name + (holder == null ? "" : " (by " + holder + ")"));
        this.name = name;
        this.holder = holder;
    }

    public String name() {
        return name;
    }

    /** The process holding the name, or null if it ended meanwhile. */
    public Pid<?> holder() {
        return holder;
    }
}
