package io.mailroom.chat;

import java.util.Objects;

/**
 * One server-to-client frame, encoded: its JSON text and that text's size in UTF-8 bytes, both
 * computed once. A chat message is one {@code OutFrame} handed to every recipient, so fan-out
 * neither re-encodes nor copies it. Immutable and thread-safe.
 */
public final class OutFrame {
    private final String text;
    private final int bytes;
    private final long acceptedNanos;

    private OutFrame(String text, long acceptedNanos) {
        this.text = Objects.requireNonNull(text, "text");
        this.bytes = utf8Length(text);
        this.acceptedNanos = acceptedNanos;
    }

    /** A frame that is not a chat message (no delivery time is measured for it). */
    public static OutFrame of(String text) {
        return new OutFrame(text, 0);
    }

    /** A chat message accepted at {@code acceptedNanos} ({@link System#nanoTime()}), for the delivery histogram. */
    public static OutFrame message(String text, long acceptedNanos) {
        return new OutFrame(text, acceptedNanos == 0 ? 1 : acceptedNanos);
    }

    /** The JSON text. */
    public String text() {
        return text;
    }

    /** The UTF-8 size of {@link #text()}. */
    public int bytes() {
        return bytes;
    }

    /** When the chat message was accepted, or 0 for other frames. */
    public long acceptedNanos() {
        return acceptedNanos;
    }

    /**
     * The UTF-8 size of {@code s} without encoding it. A surrogate counts 2, so a pair counts 4
     * (as UTF-8 encodes it) even when the pair is split across two calls.
     */
    public static int utf8Length(CharSequence s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
            }
        }
        return bytes;
    }

    @Override
    public String toString() {
        return text;
    }
}
