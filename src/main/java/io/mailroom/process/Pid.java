package io.mailroom.process;

/**
 * The address of a process that accepts messages of type {@code M}: Erlang's pid, typed.
 *
 * <p>Pids are unique for the life of their {@link Node} and never reused. The string form is
 * Erlang's, {@code <0.123.0>}, and {@link Node#pid(String)} parses it back.
 *
 * <p>{@link #send} is thread-safe, never blocks and never throws for a dead process: as in Erlang,
 * a message to a dead pid is dropped (and counted in {@link NodeStats#messagesDropped()}). Messages
 * from one sender to one receiver arrive in the order they were sent.
 */
public interface Pid<M> {

    /** Puts {@code message} in this process's mailbox. */
    void send(M message);

    /** The serial number in the middle of {@code <0.N.0>}. */
    long id();

    /** Whether the process is still alive (a snapshot: it may die right after). */
    boolean isAlive();

    /** This pid seen as accepting another message type; the caller vouches for the type. */
    @SuppressWarnings("unchecked")
    default <N> Pid<N> narrow() {
        return (Pid<N>) this;
    }

    /** Erlang's textual form of a pid with this serial. */
    static String format(long id) {
        return "<0." + id + ".0>";
    }
}
