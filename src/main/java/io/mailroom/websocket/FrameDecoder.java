package io.mailroom.websocket;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns the bytes a client sends into WebSocket events, incrementally: input may end anywhere, in
 * a header or a payload, and the decoder carries on with the next read. It enforces RFC 6455's
 * framing rules for a server (masked frames, no reserved bits, control frames whole and at most 125
 * bytes, continuations only inside a message) and the message limit at the header, so a message over
 * the limit is refused before any of it is held. Between messages it holds no buffer.
 *
 * <p>Not thread-safe: one connection's reads arrive one at a time.
 */
final class FrameDecoder {
    /** What the decoder finds. */
    interface Sink {
        /** A complete text message, valid UTF-8, within the limit. */
        void text(String message);

        /** A ping: answer with a pong carrying {@code payload[0, length)}. */
        void ping(byte[] payload, int length);

        void pong();

        /** The peer's close frame: {@code code} 1005 when it gave none. */
        void close(int code, String reason);

        /** A text message over the limit; its bytes are skipped, and so is every later data frame. */
        void tooLarge(int limit);

        /** A binary message; skipped, and so is every later data frame. */
        void binary();

        /** The peer broke the protocol: close with {@code code}; nothing more is decoded. */
        void protocolError(int code, String reason);
    }

    private static final int NONE = -1;
    private static final int BINARY = 0x2;
    private static final ThreadLocal<CharsetDecoder> UTF8 =
            ThreadLocal.withInitial(StandardCharsets.UTF_8::newDecoder); // reports malformed input

    private final int maxMessage;
    private final Sink sink;

    // the frame being read
    private final byte[] header = new byte[14];
    private int headerBytes;
    private boolean inPayload;
    private int opcode;
    private boolean fin;
    private long remaining;
    private final byte[] mask = new byte[4];
    private int maskIndex;
    private byte[] control;
    private int controlBytes;

    // the data message being read (it may span frames)
    private int messageOpcode = NONE;
    private byte[] message;
    private int messageBytes;
    private boolean skipping;
    /** Whether the payload of the data frame being read is kept (a text message within the limit). */
    private boolean store;
    private boolean refusing;
    private boolean done;

    FrameDecoder(int maxMessage, Sink sink) {
        this.maxMessage = maxMessage;
        this.sink = sink;
    }

    /** Decodes everything in {@code in} (a heap buffer), reporting events as they complete. */
    void feed(ByteBuffer in) {
        byte[] a = in.array();
        int p = in.arrayOffset() + in.position();
        int end = in.arrayOffset() + in.limit();
        while (p < end && !done) {
            if (!inPayload) {
                p = readHeader(a, p, end);
                if (!inPayload) {
                    break; // the header goes on in the next read
                }
                if (done) {
                    break;
                }
                if (remaining == 0) {
                    endFrame();
                }
                continue;
            }
            int n = (int) Math.min(remaining, end - p);
            consume(a, p, n);
            p += n;
            remaining -= n;
            if (remaining == 0) {
                endFrame();
            }
        }
        in.position(p - in.arrayOffset());
    }

    /** Whether the decoder has stopped (the peer closed or broke the protocol). */
    boolean isDone() {
        return done;
    }

    private int readHeader(byte[] a, int p, int end) {
        while (p < end) {
            header[headerBytes++] = a[p++];
            if (headerBytes >= 2 && headerBytes == headerLength()) {
                startFrame();
                return p;
            }
        }
        return p;
    }

    private int headerLength() {
        int len = header[1] & 0x7F;
        int ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        return 2 + ext + ((header[1] & 0x80) != 0 ? 4 : 0);
    }

    private void startFrame() {
        headerBytes = 0;
        int b0 = header[0] & 0xFF;
        int b1 = header[1] & 0xFF;
        fin = (b0 & 0x80) != 0;
        opcode = b0 & 0x0F;
        int len = b1 & 0x7F;
        int at = 2;
        long length;
        if (len == 126) {
            length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            at = 4;
        } else if (len == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | (header[2 + i] & 0xFF);
            }
            at = 10;
        } else {
            length = len;
        }
        if ((b0 & 0x70) != 0) {
            fail(1002, "reserved bits set");
            return;
        }
        if ((b1 & 0x80) == 0) {
            fail(1002, "client frames must be masked");
            return;
        }
        if (length < 0) {
            fail(1002, "frame length out of range");
            return;
        }
        System.arraycopy(header, at, mask, 0, 4);
        maskIndex = 0;
        remaining = length;
        inPayload = true;
        if (opcode >= 0x8) {
            if (opcode > WireFrame.PONG) {
                fail(1002, "unknown opcode " + opcode);
            } else if (!fin || length > WireFrame.MAX_CONTROL_PAYLOAD) {
                fail(1002, "control frames must be whole and at most 125 bytes");
            } else {
                control = new byte[(int) length];
                controlBytes = 0;
            }
            return;
        }
        if (opcode == 0) {
            if (messageOpcode == NONE) {
                fail(1002, "continuation outside a message");
                return;
            }
        } else if (opcode == WireFrame.TEXT || opcode == BINARY) {
            if (messageOpcode != NONE) {
                fail(1002, "a new message inside a fragmented one");
                return;
            }
            messageOpcode = opcode;
            skipping = refusing;
        } else {
            fail(1002, "unknown opcode " + opcode);
            return;
        }
        store = false;
        if (skipping) {
            return;
        }
        // said before anything else about the message, binary or not; never as messageBytes + length,
        // which a continuation's 63-bit length wraps past zero
        if (length > maxMessage - messageBytes) {
            refuse();
            message = null;
            sink.tooLarge(maxMessage);
            return;
        }
        long total = messageBytes + length;
        if (messageOpcode == BINARY) {
            messageBytes = (int) total; // counted, never held
            if (fin) {
                refuse();
                sink.binary();
            }
            return;
        }
        store = true;
        if (message == null) {
            message = new byte[(int) (fin ? length : Math.min(maxMessage, Math.max(2 * length, 256)))];
        } else if (message.length < total) {
            message = Arrays.copyOf(message, (int) Math.min(maxMessage, Math.max(total, 2L * message.length)));
        }
    }

    private void refuse() {
        refusing = true;
        skipping = true;
    }

    private void consume(byte[] a, int p, int n) {
        if (opcode >= 0x8) {
            unmask(a, p, control, controlBytes, n);
            controlBytes += n;
        } else if (store) {
            unmask(a, p, message, messageBytes, n);
            messageBytes += n;
        } else {
            maskIndex = (int) ((maskIndex + n) & 3);
        }
    }

    private void unmask(byte[] src, int p, byte[] dst, int at, int n) {
        int m = maskIndex;
        for (int i = 0; i < n; i++) {
            dst[at + i] = (byte) (src[p + i] ^ mask[m]);
            m = (m + 1) & 3;
        }
        maskIndex = m;
    }

    private void endFrame() {
        inPayload = false;
        switch (opcode) {
            case WireFrame.CLOSE -> closeFrame();
            case WireFrame.PING -> sink.ping(control, controlBytes);
            case WireFrame.PONG -> sink.pong();
            default -> {
                if (fin) {
                    endMessage();
                }
            }
        }
        control = null;
    }

    private void endMessage() {
        boolean deliver = !skipping && messageOpcode == WireFrame.TEXT;
        byte[] bytes = message;
        int length = messageBytes;
        messageOpcode = NONE;
        message = null;
        messageBytes = 0;
        skipping = false;
        if (deliver) {
            String text = utf8(bytes, 0, length);
            if (text == null) {
                fail(1007, "invalid UTF-8");
            } else {
                sink.text(text);
            }
        }
    }

    private void closeFrame() {
        int code = 1005;
        String reason = "";
        if (controlBytes == 1) {
            fail(1002, "close payload of one byte");
            return;
        }
        if (controlBytes >= 2) {
            code = ((control[0] & 0xFF) << 8) | (control[1] & 0xFF);
            if (!validCloseCode(code)) {
                fail(1002, "invalid close code " + code);
                return;
            }
            reason = utf8(control, 2, controlBytes - 2);
            if (reason == null) {
                fail(1007, "invalid UTF-8");
                return;
            }
        }
        done = true;
        sink.close(code, reason);
    }

    /** The codes a peer may send (RFC 6455 §7.4). */
    static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    private void fail(int code, String reason) {
        done = true;
        message = null;
        control = null;
        sink.protocolError(code, reason);
    }

    /** Strict UTF-8 decoding: null for malformed input (a plain String constructor would replace it). */
    private static String utf8(byte[] b, int off, int len) {
        boolean ascii = true;
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        try {
            CharBuffer chars = UTF8.get().reset().decode(ByteBuffer.wrap(b, off, len));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
