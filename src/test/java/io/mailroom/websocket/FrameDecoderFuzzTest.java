package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frame decoder under hostile input (docs/reliability.md, "Fuzzing"). A plain test run replays
 * the committed inputs under {@code src/test/resources/io/mailroom/websocket/FrameDecoderFuzzTestInputs};
 * {@code JAZZER_FUZZ=1} fuzzes one method for real.
 */
class FrameDecoderFuzzTest {
    private static final int LIMIT = 16 * 1024;

    /** The limit: the product's, or a small one the fuzzer can go past cheaply. */
    private static int limit(FuzzedDataProvider data) {
        return data.consumeBoolean() ? LIMIT : data.consumeInt(0, 300);
    }

    /**
     * Arbitrary bytes in arbitrary splits: the decoder never throws, takes every byte it is given
     * until it stops, and what it reports keeps the Sink's promises. Raw bytes, so a finding is a
     * file anyone can read: byte 0 picks the limit (high bit: the product's 16 KiB, else twice the
     * low 7 bits), byte 1 the buffer offset (bits 0-1) and the number of read sizes (bits 2-4, plus
     * one), which follow as a byte each (plus one); the rest is the wire.
     */
    @FuzzTest(maxDuration = "5m")
    void arbitraryBytes(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int limit = (input[0] & 0x80) != 0 ? LIMIT : 2 * (input[0] & 0x7F);
        int offset = input[1] & 3;
        int[] splits = new int[1 + ((input[1] >> 2) & 7)];
        int at = 2;
        for (int i = 0; i < splits.length; i++) {
            splits[i] = at < input.length ? 1 + (input[at++] & 0xFF) : 1;
        }
        byte[] bytes = Arrays.copyOfRange(input, Math.min(at, input.length), input.length);
        CheckingSink sink = new CheckingSink(limit);
        feed(new FrameDecoder(limit, sink), sink, bytes, splits, offset);
    }

    /**
     * Valid client frames built from the fuzzer's data: texts (fragmented anywhere, even inside a
     * UTF-8 sequence), pings and pongs between fragments, a refused message (binary or over the
     * limit) and a close: exactly the expected events come out, in order.
     */
    @FuzzTest(maxDuration = "5m")
    void validFrameSequences(FuzzedDataProvider data) {
        int limit = limit(data);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<String> expected = new ArrayList<>();
        boolean refused = false;
        boolean closed = false;
        int messages = data.consumeInt(0, 12);
        for (int m = 0; m < messages && !closed; m++) {
            switch (data.consumeInt(0, 5)) {
                case 0, 1, 2 -> { // a text message, in fragments
                    String raw = data.consumeString(data.consumeBoolean() ? 40 : 6000);
                    byte[] utf8 = raw.getBytes(StandardCharsets.UTF_8); // a lone surrogate becomes '?'
                    String text = new String(utf8, StandardCharsets.UTF_8);
                    int fragments = data.consumeInt(1, 5);
                    int at = 0;
                    boolean tooLarge = false;
                    for (int f = 0; f < fragments; f++) {
                        boolean last = f == fragments - 1;
                        int end = last ? utf8.length : data.consumeInt(at, utf8.length);
                        wire.writeBytes(frame(data, last, f == 0 ? WireFrame.TEXT : 0, Arrays.copyOfRange(utf8, at, end)));
                        at = end;
                        if (!refused && end > limit) { // said at the header of the fragment that goes past
                            expected.add("tooLarge " + limit);
                            refused = true;
                            tooLarge = true;
                        }
                        if (!last && data.consumeBoolean()) {
                            control(data, wire, expected);
                        }
                    }
                    if (!refused && !tooLarge) {
                        expected.add("text " + text);
                    }
                }
                case 3 -> control(data, wire, expected);
                case 4 -> { // a binary message
                    byte[] payload = data.consumeBytes(data.consumeInt(0, 300));
                    wire.writeBytes(frame(data, true, 0x2, payload));
                    if (!refused) {
                        expected.add(payload.length > limit ? "tooLarge " + limit : "binary");
                        refused = true;
                    }
                }
                default -> { // close, with a code the peer may send, or none
                    int code = data.pickValue(new int[] {1005, 1000, 1001, 1003, 1008, 1011, 3000, 4999});
                    String reason = code == 1005 ? "" : new String(
                            data.consumeString(40).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
                    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
                    if (r.length > 123) {
                        reason = "";
                        r = new byte[0];
                    }
                    byte[] payload = code == 1005 ? new byte[0] : new byte[2 + r.length];
                    if (code != 1005) {
                        payload[0] = (byte) (code >> 8);
                        payload[1] = (byte) code;
                        System.arraycopy(r, 0, payload, 2, r.length);
                    }
                    wire.writeBytes(frame(data, true, WireFrame.CLOSE, payload));
                    expected.add("close " + code + " " + reason);
                    closed = true;
                }
            }
        }
        int[] splits = new int[data.consumeInt(1, 4)];
        for (int i = 0; i < splits.length; i++) {
            splits[i] = data.consumeInt(1, 4000);
        }
        CheckingSink sink = new CheckingSink(limit);
        feed(new FrameDecoder(limit, sink), sink, wire.toByteArray(), splits, data.consumeInt(0, 3));
        assertThat(sink.events).containsExactlyElementsOf(expected);
        assertThat(sink.ended).isEqualTo(closed);
    }

    private static void control(FuzzedDataProvider data, ByteArrayOutputStream wire, List<String> expected) {
        byte[] payload = data.consumeBytes(data.consumeInt(0, 125));
        boolean ping = data.consumeBoolean();
        wire.writeBytes(frame(data, true, ping ? WireFrame.PING : WireFrame.PONG, payload));
        expected.add(ping ? "ping " + Arrays.toString(payload) : "pong");
    }

    /** A masked client frame with the minimal length encoding and a mask the fuzzer chooses. */
    private static byte[] frame(FuzzedDataProvider data, boolean fin, int opcode, byte[] payload) {
        byte[] mask = new byte[4];
        int m = data.consumeInt();
        for (int i = 0; i < 4; i++) {
            mask[i] = (byte) (m >> (8 * i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n <= 0xFFFF) {
            out.write(0x80 | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) n >>> (8 * i)));
            }
        }
        out.writeBytes(mask);
        for (int i = 0; i < n; i++) {
            out.write(payload[i] ^ mask[i & 3]);
        }
        return out.toByteArray();
    }

    /**
     * Feeds {@code bytes} in reads of the sizes in {@code splits} (round and round), each read a
     * heap buffer that starts {@code offset} bytes into its array, as a slice: the decoder must
     * honour the array offset and position.
     */
    static void feed(FrameDecoder decoder, CheckingSink sink, byte[] bytes, int[] splits, int offset) {
        int at = 0;
        for (int i = 0; at < bytes.length; i++) {
            int n = Math.min(splits[i % splits.length], bytes.length - at);
            byte[] backing = new byte[offset + n + offset];
            System.arraycopy(bytes, at, backing, offset, n);
            ByteBuffer in = ByteBuffer.wrap(backing, offset, n).slice();
            decoder.feed(in);
            assertThat(decoder.isDone()).as("isDone() as the events said").isEqualTo(sink.ended);
            if (!decoder.isDone()) {
                assertThat(in.remaining()).as("a decoder that goes on takes every byte").isZero();
            }
            at += n;
            if (decoder.isDone()) {
                // what a connection does: reads stop; a later feed must still deliver nothing
                decoder.feed(ByteBuffer.wrap(bytes, at, bytes.length - at));
                break;
            }
        }
    }

    /** A Sink that checks every promise of {@link FrameDecoder.Sink} as the events come, and records them. */
    static final class CheckingSink implements FrameDecoder.Sink {
        final int limit;
        final List<String> events = new ArrayList<>();
        boolean ended;
        boolean refused;

        CheckingSink(int limit) {
            this.limit = limit;
        }

        private void open(String event) {
            assertThat(ended).as("%s after close or protocolError", event).isFalse();
        }

        @Override
        public void text(String message) {
            open("text");
            assertThat(refused).as("text after tooLarge or binary").isFalse();
            byte[] utf8;
            try {
                ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(message));
                utf8 = new byte[encoded.remaining()];
                encoded.get(utf8);
            } catch (CharacterCodingException e) {
                throw new AssertionError("text is not valid Unicode: " + e);
            }
            assertThat(utf8.length).as("text within the limit").isLessThanOrEqualTo(limit);
            assertThat(new String(utf8, StandardCharsets.UTF_8)).as("UTF-8 round trip").isEqualTo(message);
            events.add("text " + message);
        }

        @Override
        public void ping(byte[] payload, int length) {
            open("ping");
            assertThat(length).isBetween(0, 125);
            assertThat(payload.length).isGreaterThanOrEqualTo(length);
            events.add("ping " + Arrays.toString(Arrays.copyOf(payload, length)));
        }

        @Override
        public void pong() {
            open("pong");
            events.add("pong");
        }

        @Override
        public void close(int code, String reason) {
            open("close");
            assertThat(code == 1005 || FrameDecoder.validCloseCode(code)).as("close code %s", code).isTrue();
            assertThat(reason.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
            ended = true;
            events.add("close " + code + " " + reason);
        }

        @Override
        public void tooLarge(int limit) {
            open("tooLarge");
            assertThat(refused).as("a second tooLarge or binary").isFalse();
            assertThat(limit).isEqualTo(this.limit);
            refused = true;
            events.add("tooLarge " + limit);
        }

        @Override
        public void binary() {
            open("binary");
            assertThat(refused).as("a second tooLarge or binary").isFalse();
            refused = true;
            events.add("binary");
        }

        @Override
        public void protocolError(int code, String reason) {
            open("protocolError");
            assertThat(code).isIn(1002, 1007);
            ended = true;
            events.add("protocolError " + code);
        }
    }
}
