package io.mailroom.examples;

import io.mailroom.process.Pid;

/** The messages of the post's chat: {@code {:register, ...}}, {@code {:message, ...}} and friends as records. */
public final class Chat {
    private Chat() {}

    /** What the server receives. */
    public sealed interface ServerMsg {}

    /** {@code {:register, client_pid, username}} */
    public record Register(Pid<ClientMsg> client, String username) implements ServerMsg {}

    /** {@code {:message, from_pid, message}} */
    public record Post(Pid<ClientMsg> from, String message) implements ServerMsg {}

    /** {@code {:unregister, client_pid}} */
    public record Unregister(Pid<ClientMsg> client) implements ServerMsg {}

    /** What a client receives. */
    public sealed interface ClientMsg {}

    /** {@code {:message, from, message}}; {@code from} is {@code "server"} for the server's own lines. */
    public record Message(String from, String message) implements ClientMsg {}

    /** {@code {:send, message}} */
    public record Send(String message) implements ClientMsg {}
}
