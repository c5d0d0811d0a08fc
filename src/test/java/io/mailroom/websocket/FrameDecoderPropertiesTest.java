package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Whatever a client's frames look like on the wire (how it fragments each message, which masks it
 * picks, where it slips a ping in) and wherever the reads happen to cut the stream, the decoder
 * reports exactly the messages sent, in order, with the pings where they were.
 */
class FrameDecoderPropertiesTest {
    private static final int LIMIT = 1 << 20;

    /**
     * One message as a client sends it: {@code cuts} (taken modulo the UTF-8 length + 1, so a cut may
     * fall inside a char and fragments may be empty) split it into frames; {@code masks} mask them
     * in turn; a ping goes before the fragment whose flag in {@code pings} is set (never before the
     * first: a ping between messages is the previous message's last flag).
     */
    record Message(String text, List<Integer> cuts, List<Integer> masks, List<Boolean> pings) {}

    @Provide
    Arbitrary<String> unicode() {
        Arbitrary<Integer> ascii = Arbitraries.integers().between(0x00, 0x7F);
        Arbitrary<Integer> twoBytes = Arbitraries.integers().between(0x80, 0x7FF);
        Arbitrary<Integer> bmp = Arbitraries.integers().between(0x800, 0xFFFF)
                .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE);
        Arbitrary<Integer> supplementary = Arbitraries.integers().between(0x10000, Character.MAX_CODE_POINT);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(4, ascii), net.jqwik.api.Tuple.of(2, twoBytes),
                        net.jqwik.api.Tuple.of(2, bmp), net.jqwik.api.Tuple.of(2, supplementary))
                .list().ofMaxSize(200)
                .map(cps -> {
                    StringBuilder b = new StringBuilder();
                    cps.forEach(b::appendCodePoint);
                    return b.toString();
                });
    }

    @Provide
    Arbitrary<List<Message>> messages() {
        Arbitrary<Message> message = Combinators.combine(
                unicode(),
                Arbitraries.integers().between(0, 1000).list().ofMaxSize(6),
                Arbitraries.integers().list().ofMinSize(1).ofMaxSize(7),
                Arbitraries.of(true, false).list().ofMaxSize(8)).as(Message::new);
        return message.list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 400)
    void random_messages_randomly_fragmented_masked_and_split_decode_to_exactly_what_was_sent(
            @ForAll("messages") List<Message> messages,
            @ForAll @Size(max = 12) List<@net.jqwik.api.constraints.IntRange(min = 0, max = 100_000) Integer> readCuts) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<String> expected = new ArrayList<>();
        int pingNo = 0;
        for (Message m : messages) {
            byte[] payload = ClientFrames.utf8(m.text());
            TreeSet<Integer> cuts = new TreeSet<>();
            m.cuts().forEach(c -> cuts.add(c % (payload.length + 1)));
            List<Integer> bounds = new ArrayList<>();
            bounds.add(0);
            cuts.forEach(c -> {
                if (c > 0 && c < payload.length) {
                    bounds.add(c);
                }
            });
            bounds.add(payload.length);
            int frames = bounds.size() - 1;
            for (int i = 0; i < frames; i++) {
                if (i > 0 && flag(m.pings(), i)) {
                    byte[] p = ClientFrames.utf8("ping" + pingNo++);
                    wire.writeBytes(ClientFrames.encode(0x80 | ClientFrames.PING, p, mask(m.masks(), i + 17)));
                    expected.add(RecordingSink.pingEvent(p));
                }
                boolean fin = i == frames - 1;
                int opcode = i == 0 ? ClientFrames.TEXT : ClientFrames.CONTINUATION;
                byte[] part = Arrays.copyOfRange(payload, bounds.get(i), bounds.get(i + 1));
                wire.writeBytes(ClientFrames.encode((fin ? 0x80 : 0) | opcode, part, mask(m.masks(), i)));
            }
            expected.add(RecordingSink.textEvent(m.text()));
        }
        byte[] bytes = wire.toByteArray();

        TreeSet<Integer> at = new TreeSet<>();
        readCuts.forEach(c -> at.add(c % (bytes.length + 1)));
        at.add(bytes.length);
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(LIMIT, sink);
        int from = 0;
        for (int to : at) {
            ByteBuffer read = ByteBuffer.wrap(Arrays.copyOfRange(bytes, from, to));
            decoder.feed(read);
            assertThat(read.remaining()).isZero();
            from = to;
        }

        assertThat(sink.events).isEqualTo(expected);
        assertThat(decoder.isDone()).isFalse();
    }

    private static boolean flag(List<Boolean> flags, int i) {
        return !flags.isEmpty() && flags.get(i % flags.size());
    }

    private static byte[] mask(List<Integer> masks, int i) {
        int m = masks.get(i % masks.size()) * (i + 1); // frames of one message rarely share a mask
        return new byte[] {(byte) (m >>> 24), (byte) (m >>> 16), (byte) (m >>> 8), (byte) m};
    }
}
