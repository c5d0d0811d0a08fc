package io.mailroom.websocket;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One server-to-client WebSocket frame, encoded once: the RFC 6455 header and the payload in a
 * single array that is never written to again. The same instance goes to every recipient; each
 * connection copies its bytes into its own write buffer, so a frame shared by ten thousand sockets
 * is encoded once and held once. Server frames are unmasked and unfragmented.
 */
public final class WireFrame {
    static final int TEXT = 0x1;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;
    /** A control frame's payload is at most 125 bytes (RFC 6455 §5.5). */
    static final int MAX_CONTROL_PAYLOAD = 125;

    private final byte[] bytes;
    private final int payloadOffset;
    private final long originNanos;

    private WireFrame(byte[] bytes, int payloadOffset, long originNanos) {
        this.bytes = bytes;
        this.payloadOffset = payloadOffset;
        this.originNanos = originNanos;
    }

    /** A text frame of {@code text}. */
    public static WireFrame text(String text) {
        return text(text, 0);
    }

    /**
     * A text frame of {@code text}, stamped with when its content originated
     * ({@link System#nanoTime()}, 0 for none): a connection reports the stamp when it hands the
     * frame to the socket, which is how delivery latency is measured without a wrapper per frame.
     */
    public static WireFrame text(String text, long originNanos) {
        byte[] payload = Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8);
        return frame(TEXT, payload, payload.length, originNanos);
    }

    /** A close frame with {@code code} and {@code reason} (cut to fit the 125-byte control payload). */
    public static WireFrame close(int code, String reason) {
        byte[] r = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_CONTROL_PAYLOAD - 2);
        while (n > 0 && n < r.length && (r[n] & 0xC0) == 0x80) {
            n--; // never cut inside a UTF-8 sequence
        }
        byte[] payload = new byte[2 + n];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, n);
        return frame(CLOSE, payload, payload.length, 0);
    }

    static WireFrame ping() {
        return frame(PING, new byte[0], 0, 0);
    }

    static WireFrame pong(byte[] payload, int length) {
        return frame(PONG, payload, length, 0);
    }

    private static WireFrame frame(int opcode, byte[] payload, int length, long originNanos) {
        int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
        byte[] b = new byte[header + length];
        b[0] = (byte) (0x80 | opcode); // FIN: server frames are never fragmented
        if (length < 126) {
            b[1] = (byte) length;
        } else if (length <= 0xFFFF) {
            b[1] = 126;
            b[2] = (byte) (length >> 8);
            b[3] = (byte) length;
        } else {
            b[1] = 127;
            for (int i = 0; i < 8; i++) {
                b[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
        }
        System.arraycopy(payload, 0, b, header, length);
        return new WireFrame(b, header, originNanos);
    }

    /** The payload's size in bytes (for a text frame: its UTF-8 size). */
    public int payloadLength() {
        return bytes.length - payloadOffset;
    }

    /** The whole frame's size on the wire. */
    public int length() {
        return bytes.length;
    }

    /** The payload decoded as UTF-8 (a copy; the frame keeps only bytes). */
    public String text() {
        return new String(bytes, payloadOffset, payloadLength(), StandardCharsets.UTF_8);
    }

    /** When the content originated, or 0. */
    public long originNanos() {
        return originNanos;
    }

    /** The opcode of this frame. */
    int opcode() {
        return bytes[0] & 0x0F;
    }

    /** The encoded frame; shared, so never written to. */
    byte[] bytes() {
        return bytes;
    }

    /** A copy of the encoded frame, as a client receives it. */
    public byte[] toByteArray() {
        return bytes.clone();
    }
}
