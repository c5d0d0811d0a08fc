package io.mailroom.chat;

/**
 * A frame from a client, decoded and checked against every rule that needs no session state
 * (protocol.md §1, errors {@code frame_too_large} to {@code invalid_room}). Built on the
 * connection's thread by {@link Frames#decode}, handled by the session process.
 */
public sealed interface ClientFrame {

    /** The frame's {@code ref} when it had a valid one, else null; echoed in errors. */
    String ref();

    /** {@code {"type":"join","room":…,"since":…}}; {@code since} is null when absent. */
    record Join(String room, Long since, String ref) implements ClientFrame {}

    /** {@code {"type":"leave","room":…}}. */
    record Leave(String room, String ref) implements ClientFrame {}

    /** {@code {"type":"send","room":…,"text":…}}: the text is not checked yet (that comes after {@code not_joined}). */
    record Send(String room, String text, String ref) implements ClientFrame {}

    /**
     * A frame refused before reaching the session's rules: answer {@code error} with {@code code},
     * then close with {@code closeCode} unless it is 0.
     */
    record Invalid(String code, String message, String ref, int closeCode) implements ClientFrame {

        public static Invalid open(String code, String message, String ref) {
            return new Invalid(code, message, ref, 0);
        }
    }
}
