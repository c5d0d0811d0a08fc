package io.mailroom.websocket;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Client-to-server frames built by hand, byte by byte, as RFC 6455 §5.2 lays them out. */
final class ClientFrames {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    /** The masking key of RFC 6455's own examples (§5.7). */
    static final byte[] MASK = {0x37, (byte) 0xFA, 0x21, 0x3D};

    private ClientFrames() {}

    /** A frame whose first byte is {@code b0} (FIN, RSV, opcode), masked with {@code mask} (null: unmasked). */
    static byte[] encode(int b0, byte[] payload, byte[] mask) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b0);
        int maskBit = mask == null ? 0 : 0x80;
        int n = payload.length;
        if (n < 126) {
            out.write(maskBit | n);
        } else if (n <= 0xFFFF) {
            out.write(maskBit | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) n >>> (8 * i)));
            }
        }
        if (mask == null) {
            out.writeBytes(payload);
        } else {
            out.writeBytes(mask);
            for (int i = 0; i < n; i++) {
                out.write(payload[i] ^ mask[i & 3]);
            }
        }
        return out.toByteArray();
    }

    static byte[] frame(boolean fin, int opcode, byte[] payload) {
        return encode((fin ? 0x80 : 0) | opcode, payload, MASK);
    }

    static byte[] text(String text) {
        return frame(true, TEXT, utf8(text));
    }

    static byte[] ping(String payload) {
        return frame(true, PING, utf8(payload));
    }

    static byte[] close(int code, String reason) {
        return frame(true, CLOSE, closePayload(code, reason));
    }

    static byte[] closePayload(int code, String reason) {
        return concat(new byte[] {(byte) (code >> 8), (byte) code}, utf8(reason));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
