package io.mailroom.websocket;

import static io.mailroom.websocket.ClientFrames.BINARY;
import static io.mailroom.websocket.ClientFrames.CLOSE;
import static io.mailroom.websocket.ClientFrames.CONTINUATION;
import static io.mailroom.websocket.ClientFrames.MASK;
import static io.mailroom.websocket.ClientFrames.PING;
import static io.mailroom.websocket.ClientFrames.PONG;
import static io.mailroom.websocket.ClientFrames.TEXT;
import static io.mailroom.websocket.ClientFrames.bytes;
import static io.mailroom.websocket.ClientFrames.close;
import static io.mailroom.websocket.ClientFrames.concat;
import static io.mailroom.websocket.ClientFrames.encode;
import static io.mailroom.websocket.ClientFrames.frame;
import static io.mailroom.websocket.ClientFrames.ping;
import static io.mailroom.websocket.ClientFrames.text;
import static io.mailroom.websocket.ClientFrames.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client frames a server must accept, the ones it must refuse (RFC 6455 §5), and the message limit. */
@Timeout(20)
class FrameDecoderTest {
    private static final int LIMIT = 16384;

    private final RecordingSink sink = new RecordingSink();

    private FrameDecoder decoder(int limit) {
        return new FrameDecoder(limit, sink);
    }

    /** Feeds {@code bytes} in one buffer, which the decoder reads to its end unless it stops. */
    private static void feed(FrameDecoder d, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        d.feed(in);
        if (!d.isDone()) {
            assertThat(in.remaining()).as("bytes left unread").isZero();
        }
    }

    private List<String> decode(byte[] bytes) {
        feed(decoder(LIMIT), bytes);
        return sink.events;
    }

    private static List<String> decodeFresh(int limit, byte[]... chunks) {
        RecordingSink s = new RecordingSink();
        FrameDecoder d = new FrameDecoder(limit, s);
        for (byte[] c : chunks) {
            feed(d, c);
        }
        return s.events;
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(utf8(s));
    }

    // ---- well-formed frames

    @Test
    void the_masked_hello_of_rfc_6455_section_5_7_is_one_text_message() {
        byte[] hello = bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
        assertThat(decode(hello)).containsExactly("text:Hello");
        assertThat(hello).isEqualTo(text("Hello")); // and the test's own encoder agrees with the RFC
    }

    @Test
    void a_masked_text_frame_of_multi_byte_chars_is_decoded() {
        assertThat(decode(text("héllo € 😀"))).containsExactly("text:héllo € 😀");
    }

    @Test
    void an_all_zero_mask_is_a_mask_too() {
        assertThat(decode(encode(0x81, utf8("plain"), new byte[4]))).containsExactly("text:plain");
    }

    @Test
    void an_empty_text_message_is_delivered_empty() {
        assertThat(decode(text(""))).containsExactly("text:");
    }

    @Test
    void a_frame_split_at_every_byte_boundary_gives_the_same_single_message() {
        String message = "split 😀 é " + "x".repeat(150); // 16-bit length, a mask, multi-byte chars
        byte[] f = text(message);
        assertThat(f[1] & 0x7F).isEqualTo(126);
        for (int i = 0; i <= f.length; i++) {
            assertThat(decodeFresh(LIMIT, Arrays.copyOfRange(f, 0, i), Arrays.copyOfRange(f, i, f.length)))
                    .as("split at %d", i).containsExactly(RecordingSink.textEvent(message));
        }
    }

    @Test
    void a_frame_fed_one_byte_at_a_time_gives_the_same_single_message() {
        String message = "one at a time 😀 " + "y".repeat(200);
        byte[] f = text(message);
        byte[][] chunks = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            chunks[i] = new byte[] {f[i]};
        }
        assertThat(decodeFresh(LIMIT, chunks)).containsExactly(RecordingSink.textEvent(message));
    }

    @Test
    void several_frames_in_one_buffer_are_reported_in_order() {
        byte[] all = concat(text("a"), ping("p"), text("b"), frame(true, PONG, new byte[0]), text("c"), close(1000, "bye"));
        assertThat(decode(all)).containsExactly("text:a", "ping:" + hex("p"), "text:b", "pong", "text:c", "close:1000:bye");
    }

    @Test
    void a_stream_of_several_frames_split_at_any_two_points_gives_the_same_events() {
        byte[] all = concat(text("first"), frame(false, TEXT, utf8("frag")), ping("!"),
                frame(true, CONTINUATION, utf8("ment é")), frame(true, PONG, utf8("ok")), text("€"));
        List<String> expected = List.of("text:first", "ping:" + hex("!"), "text:fragment é", "pong", "text:€");
        assertThat(decodeFresh(LIMIT, all)).isEqualTo(expected);
        for (int i = 0; i <= all.length; i++) {
            for (int j = i; j <= all.length; j++) {
                assertThat(decodeFresh(LIMIT, Arrays.copyOfRange(all, 0, i), Arrays.copyOfRange(all, i, j),
                        Arrays.copyOfRange(all, j, all.length))).as("split at %d and %d", i, j).isEqualTo(expected);
            }
        }
    }

    @Test
    void the_decoder_reads_from_the_buffers_position_and_honours_an_array_offset() {
        byte[] f = text("offset");
        byte[] padded = concat(bytes(0xEE, 0xEE, 0xEE), f, bytes(0xEE));
        FrameDecoder d = decoder(LIMIT);

        ByteBuffer positioned = ByteBuffer.wrap(padded, 3, f.length);
        d.feed(positioned);
        assertThat(positioned.position()).isEqualTo(3 + f.length);

        ByteBuffer slice = ByteBuffer.wrap(padded).position(3).limit(3 + f.length).slice(); // arrayOffset 3
        assertThat(slice.arrayOffset()).isEqualTo(3);
        d.feed(slice);
        assertThat(slice.remaining()).isZero();

        assertThat(sink.events).containsExactly("text:offset", "text:offset");
    }

    @Test
    void a_fragmented_message_is_delivered_once_at_its_end_with_a_ping_between_fragments_delivered_in_order() {
        byte[] wörld = utf8("wörld"); // the ö is split across the last two fragments
        byte[] all = concat(
                frame(false, TEXT, utf8("Hel")),
                ping("p1"),
                frame(false, CONTINUATION, utf8("lo ")),
                frame(false, CONTINUATION, Arrays.copyOfRange(wörld, 0, 2)),
                ping("p2"),
                frame(true, CONTINUATION, Arrays.copyOfRange(wörld, 2, wörld.length)),
                text("next"));
        assertThat(decode(all)).containsExactly("ping:" + hex("p1"), "ping:" + hex("p2"), "text:Hello wörld", "text:next");
    }

    @Test
    void a_fragmented_message_of_empty_fragments_is_one_empty_message() {
        assertThat(decode(concat(frame(false, TEXT, new byte[0]), frame(false, CONTINUATION, new byte[0]),
                frame(true, CONTINUATION, new byte[0])))).containsExactly("text:");
    }

    @Test
    void a_text_frame_with_a_16_bit_length_is_decoded() {
        String message = "m".repeat(300);
        byte[] f = text(message);
        assertThat(Arrays.copyOf(f, 4)).containsExactly(0x81, 0x80 | 126, 0x01, 0x2C);
        assertThat(decode(f)).containsExactly(RecordingSink.textEvent(message));
    }

    @Test
    void a_text_frame_with_a_64_bit_length_is_decoded() {
        String message = "L".repeat(70_000);
        byte[] f = text(message);
        assertThat(Arrays.copyOf(f, 10)).containsExactly(0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70);
        assertThat(decodeFresh(1 << 20, f)).containsExactly(RecordingSink.textEvent(message));
    }

    @Test
    void a_ping_of_125_bytes_the_largest_control_frame_is_delivered_with_its_payload() {
        String payload = "p".repeat(125);
        assertThat(decode(ping(payload))).containsExactly("ping:" + hex(payload));
    }

    @Test
    void an_empty_ping_and_a_pong_are_delivered() {
        assertThat(decode(concat(ping(""), frame(true, PONG, utf8("whatever"))))).containsExactly("ping:", "pong");
    }

    // ---- protocol errors: 1002

    private void assertProtocolError(byte[] bytes, int code) {
        FrameDecoder d = decoder(LIMIT);
        feed(d, bytes);
        assertThat(sink.events).as("reasons %s", sink.errorReasons).containsExactly("protocolError:" + code);
        assertThat(d.isDone()).isTrue();
    }

    @Test
    void an_unmasked_client_frame_is_a_protocol_error() {
        assertProtocolError(encode(0x81, utf8("Hello"), null), 1002);
    }

    @Test
    void an_unmasked_control_frame_is_a_protocol_error() {
        assertProtocolError(encode(0x89, new byte[0], null), 1002);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x20, 0x10, 0x70})
    void a_reserved_bit_is_a_protocol_error(int rsv) {
        assertProtocolError(encode(0x80 | rsv | TEXT, utf8("x"), MASK), 1002);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
    void an_unknown_opcode_is_a_protocol_error(int opcode) {
        assertProtocolError(frame(true, opcode, utf8("x")), 1002);
    }

    @Test
    void a_continuation_without_a_message_is_a_protocol_error() {
        assertProtocolError(frame(true, CONTINUATION, utf8("orphan")), 1002);
    }

    @Test
    void a_continuation_after_a_finished_message_is_a_protocol_error() {
        feed(decoder(LIMIT), concat(text("done"), frame(true, CONTINUATION, utf8("more"))));
        assertThat(sink.events).containsExactly("text:done", "protocolError:1002");
    }

    @Test
    void a_text_frame_inside_a_fragmented_message_is_a_protocol_error() {
        assertProtocolError(concat(frame(false, TEXT, utf8("a")), frame(true, TEXT, utf8("b"))), 1002);
    }

    @Test
    void a_binary_frame_inside_a_fragmented_text_message_is_a_protocol_error() {
        assertProtocolError(concat(frame(false, TEXT, utf8("a")), frame(true, BINARY, utf8("b"))), 1002);
    }

    @Test
    void a_control_frame_over_125_bytes_is_a_protocol_error() {
        byte[] f = frame(true, PING, new byte[126]);
        assertThat(f[1] & 0x7F).isEqualTo(126);
        assertProtocolError(f, 1002);
    }

    @Test
    void a_close_frame_over_125_bytes_is_a_protocol_error() {
        assertProtocolError(close(1000, "r".repeat(124)), 1002);
    }

    @ParameterizedTest
    @ValueSource(ints = {PING, PONG, CLOSE})
    void a_fragmented_control_frame_is_a_protocol_error(int opcode) {
        assertProtocolError(frame(false, opcode, new byte[0]), 1002);
    }

    @Test
    void a_64_bit_length_with_its_top_bit_set_is_a_protocol_error() {
        assertProtocolError(concat(bytes(0x81, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1), MASK), 1002);
    }

    // ---- invalid UTF-8: 1007

    @ParameterizedTest
    @ValueSource(strings = {
        "c328",         // a lead byte followed by a non-continuation byte
        "eda080",       // U+D800, a lone surrogate, encoded
        "edbfbf",       // U+DFFF
        "c0af",         // an overlong '/'
        "e282",         // a sequence cut short at the end of the message
        "80",           // a continuation byte alone
        "f4908080",     // past U+10FFFF
        "ff"})
    void a_text_message_that_is_not_utf8_is_refused_with_1007(String hexBytes) {
        assertProtocolError(frame(true, TEXT, HexFormat.of().parseHex(hexBytes)), 1007);
    }

    @Test
    void invalid_utf8_split_across_fragments_is_refused_once_at_the_end_with_1007() {
        assertProtocolError(concat(frame(false, TEXT, bytes('o', 'k', 0xED)), frame(true, CONTINUATION, bytes(0xA0, 0x80))), 1007);
    }

    @Test
    void a_close_reason_that_is_not_utf8_is_refused_with_1007() {
        assertProtocolError(frame(true, CLOSE, bytes(0x03, 0xE8, 0xC3, 0x28)), 1007);
    }

    // ---- the message limit

    @Test
    void a_message_of_exactly_the_limit_in_utf8_bytes_is_delivered() {
        String message = "€".repeat(LIMIT / 3) + "a"; // 3 × 5461 + 1 = 16384 bytes
        assertThat(utf8(message)).hasSize(LIMIT);
        assertThat(decode(text(message))).containsExactly(RecordingSink.textEvent(message));
    }

    @Test
    void a_message_one_byte_over_the_limit_is_refused_once_and_later_data_frames_are_skipped_but_control_frames_decoded() {
        String over = "€".repeat(LIMIT / 3) + "ab"; // 16385 bytes
        byte[] all = concat(text(over), text("later"), ping("still"), frame(false, TEXT, utf8("frag")),
                frame(true, CONTINUATION, utf8("mented")), frame(true, PONG, new byte[0]), text("x".repeat(LIMIT + 10)),
                close(1000, "bye"));
        FrameDecoder d = decoder(LIMIT);
        feed(d, all);
        assertThat(sink.events).containsExactly("tooLarge:" + LIMIT, "ping:" + hex("still"), "pong", "close:1000:bye");
        assertThat(d.isDone()).isTrue();
    }

    @Test
    void a_refused_message_is_skipped_however_its_bytes_arrive() {
        byte[] all = concat(text("z".repeat(LIMIT + 1)), ping("after"));
        for (int chunk : new int[] {1, 7, 100, 4096, all.length}) {
            RecordingSink s = new RecordingSink();
            FrameDecoder d = new FrameDecoder(LIMIT, s);
            for (int at = 0; at < all.length; at += chunk) {
                feed(d, Arrays.copyOfRange(all, at, Math.min(all.length, at + chunk)));
            }
            assertThat(s.events).as("chunks of %d", chunk).containsExactly("tooLarge:" + LIMIT, "ping:" + hex("after"));
        }
    }

    @Test
    void a_fragmented_message_that_reaches_the_limit_exactly_is_delivered() {
        String a = "a".repeat(60);
        String b = "b".repeat(40);
        assertThat(decodeFresh(100, concat(frame(false, TEXT, utf8(a)), frame(true, CONTINUATION, utf8(b)))))
                .containsExactly(RecordingSink.textEvent(a + b));
    }

    @Test
    void a_fragmented_message_that_crosses_the_limit_is_refused_once() {
        byte[] all = concat(frame(false, TEXT, new byte[40]), frame(false, CONTINUATION, utf8("b".repeat(40))),
                ping("mid"), frame(false, CONTINUATION, utf8("c".repeat(21))), frame(true, CONTINUATION, utf8("d".repeat(50))),
                ping("end"));
        assertThat(decodeFresh(100, all)).containsExactly("ping:" + hex("mid"), "tooLarge:100", "ping:" + hex("end"));
    }

    @Test
    void a_binary_message_within_the_limit_is_reported_as_binary_and_later_data_frames_are_skipped() {
        byte[] all = concat(frame(true, BINARY, bytes(1, 2, 3)), text("skipped"), ping("p"), close(1000, ""));
        assertThat(decode(all)).containsExactly("binary", "ping:" + hex("p"), "close:1000:");
    }

    @Test
    void a_binary_message_over_the_limit_is_too_large_not_binary() {
        assertThat(decodeFresh(100, concat(frame(true, BINARY, new byte[101]), ping("p"))))
                .containsExactly("tooLarge:100", "ping:" + hex("p"));
    }

    @Test
    void a_fragmented_binary_message_is_reported_once_at_its_end() {
        byte[] all = concat(frame(false, BINARY, bytes(1)), ping("p"), frame(false, CONTINUATION, bytes(2)),
                frame(true, CONTINUATION, bytes(3)), text("skipped"));
        assertThat(decode(all)).containsExactly("ping:" + hex("p"), "binary");
    }

    @Test
    void a_fragmented_binary_message_crossing_the_limit_is_too_large() {
        assertThat(decodeFresh(100, concat(frame(false, BINARY, new byte[60]), frame(true, CONTINUATION, new byte[41]))))
                .containsExactly("tooLarge:100");
    }

    // ---- close frames

    @Test
    void a_close_frame_gives_its_code_and_reason_and_the_decoder_is_done() {
        FrameDecoder d = decoder(LIMIT);
        feed(d, close(1001, "going 😀"));
        assertThat(sink.events).containsExactly("close:1001:going 😀");
        assertThat(d.isDone()).isTrue();
    }

    @Test
    void an_empty_close_frame_is_code_1005_without_a_reason() {
        assertThat(decode(frame(true, CLOSE, new byte[0]))).containsExactly("close:1005:");
    }

    @Test
    void a_close_frame_of_one_byte_is_a_protocol_error() {
        assertProtocolError(frame(true, CLOSE, bytes(0x03)), 1002);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
    void a_close_code_a_peer_may_not_send_is_a_protocol_error(int code) {
        assertProtocolError(close(code, ""), 1002);
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
    void a_close_code_a_peer_may_send_is_reported(int code) {
        assertThat(decode(close(code, "r"))).containsExactly("close:" + code + ":r");
    }

    @Test
    void a_close_inside_a_fragmented_message_is_reported_and_the_message_never_is() {
        assertThat(decode(concat(frame(false, TEXT, utf8("half")), close(1000, ""), frame(true, CONTINUATION, utf8("rest")))))
                .containsExactly("close:1000:");
    }

    // ---- after the end

    @Test
    void after_a_close_the_decoder_decodes_nothing_more_and_stops_reading_right_after_it() {
        byte[] closing = close(1000, "");
        byte[] after = concat(text("after"), ping("p"), encode(0x81, utf8("unmasked"), null));
        FrameDecoder d = decoder(LIMIT);
        ByteBuffer in = ByteBuffer.wrap(concat(text("before"), closing, after));
        d.feed(in);
        assertThat(in.remaining()).isEqualTo(after.length);
        d.feed(ByteBuffer.wrap(after));
        d.feed(ByteBuffer.wrap(close(1000, "")));
        assertThat(d.isDone()).isTrue();
        assertThat(sink.events).containsExactly("text:before", "close:1000:");
    }

    @Test
    void after_a_protocol_error_the_decoder_decodes_nothing_more() {
        FrameDecoder d = decoder(LIMIT);
        feed(d, concat(text("before"), encode(0x81, utf8("unmasked"), null), text("after")));
        d.feed(ByteBuffer.wrap(concat(text("later"), ping("p"), close(1000, ""))));
        assertThat(d.isDone()).isTrue();
        assertThat(sink.events).containsExactly("text:before", "protocolError:1002");
    }

    @Test
    void after_invalid_utf8_the_decoder_decodes_nothing_more() {
        FrameDecoder d = decoder(LIMIT);
        feed(d, concat(frame(true, TEXT, bytes(0xC3, 0x28)), text("after"), close(1000, "")));
        assertThat(d.isDone()).isTrue();
        assertThat(sink.events).containsExactly("protocolError:1007");
    }

    @Test
    void the_decoder_is_not_done_while_messages_flow_nor_after_a_refused_message() {
        FrameDecoder d = decoder(100);
        feed(d, concat(text("a"), frame(true, BINARY, bytes(1)), text("b".repeat(200))));
        assertThat(d.isDone()).isFalse();
        assertThat(sink.events).containsExactly("text:a", "binary");
    }
}
