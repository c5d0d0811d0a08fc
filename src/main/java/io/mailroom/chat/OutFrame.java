package io.mailroom.chat;

import io.mailroom.websocket.WireFrame;

/**
 * One server-to-client frame, encoded once: its JSON text as a complete WebSocket frame (header and
 * UTF-8 payload). A chat message is one {@code OutFrame} handed to every recipient and stored in the
 * room's history, so fan-out neither re-encodes nor copies it, and only the bytes are held (the text
 * is decoded again when asked for). Immutable and thread-safe.
 */
public final class OutFrame {
    private final WireFrame wire;

    private OutFrame(String text, long acceptedNanos) {
        this.wire = WireFrame.text(text, acceptedNanos);
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
        return wire.text();
    }

    /** The UTF-8 size of {@link #text()}. */
    public int bytes() {
        return wire.payloadLength();
    }

    /** When the chat message was accepted, or 0 for other frames. */
    public long acceptedNanos() {
        return wire.originNanos();
    }

    /** The encoded frame, as every recipient's socket writes it. */
    public WireFrame wire() {
        return wire;
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
        return text();
    }
}
