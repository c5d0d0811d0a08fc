package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A server frame's bytes exactly as RFC 6455 §5.2 lays them out: FIN+opcode, an unmasked length, the payload. */
@Timeout(10)
class WireFrameTest {

    private static int u(byte b) {
        return b & 0xFF;
    }

    private static byte[] header(WireFrame f, int n) {
        return Arrays.copyOf(f.toByteArray(), n);
    }

    private static byte[] payload(WireFrame f) {
        byte[] b = f.toByteArray();
        return Arrays.copyOfRange(b, b.length - f.payloadLength(), b.length);
    }

    @Test
    void an_empty_text_frame_is_two_bytes_fin_text_and_length_zero() {
        WireFrame f = WireFrame.text("");
        assertThat(f.toByteArray()).containsExactly(0x81, 0x00);
        assertThat(f.length()).isEqualTo(2);
        assertThat(f.payloadLength()).isZero();
        assertThat(f.text()).isEmpty();
        assertThat(f.opcode()).isEqualTo(WireFrame.TEXT);
    }

    @Test
    void up_to_125_bytes_the_length_is_the_7_bit_field() {
        WireFrame f = WireFrame.text("a".repeat(125));
        byte[] b = f.toByteArray();
        assertThat(b).hasSize(2 + 125);
        assertThat(u(b[0])).isEqualTo(0x81);
        assertThat(u(b[1])).isEqualTo(125); // mask bit clear: server frames are unmasked
        assertThat(payload(f)).isEqualTo("a".repeat(125).getBytes(StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @ValueSource(ints = {126, 127, 1000, 65535})
    void from_126_to_65535_bytes_the_length_is_126_then_16_bits_big_endian(int n) {
        WireFrame f = WireFrame.text("b".repeat(n));
        byte[] b = f.toByteArray();
        assertThat(b).hasSize(4 + n);
        assertThat(header(f, 4)).containsExactly(0x81, 126, n >> 8, n & 0xFF);
        assertThat(f.payloadLength()).isEqualTo(n);
        assertThat(f.text()).isEqualTo("b".repeat(n));
    }

    @ParameterizedTest
    @ValueSource(ints = {65536, 65537, 1 << 20})
    void from_65536_bytes_the_length_is_127_then_64_bits_big_endian(int n) {
        WireFrame f = WireFrame.text("c".repeat(n));
        byte[] b = f.toByteArray();
        assertThat(b).hasSize(10 + n);
        assertThat(header(f, 10)).containsExactly(0x81, 127, 0, 0, 0, 0,
                (n >>> 24) & 0xFF, (n >>> 16) & 0xFF, (n >>> 8) & 0xFF, n & 0xFF);
        assertThat(f.payloadLength()).isEqualTo(n);
        assertThat(f.text()).isEqualTo("c".repeat(n));
    }

    @Test
    void the_payload_is_the_utf8_of_the_text_and_its_length_counts_bytes_not_chars() {
        String text = "aé€😀"; // 1 + 2 + 3 + 4 bytes; 5 UTF-16 chars
        WireFrame f = WireFrame.text(text);
        assertThat(f.toByteArray()).containsExactly(0x81, 10,
                'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80);
        assertThat(f.payloadLength()).isEqualTo(10);
        assertThat(f.length()).isEqualTo(12);
        assertThat(f.text()).isEqualTo(text);
    }

    @Test
    void multi_byte_text_crosses_the_length_boundary_by_its_bytes() {
        // 42 three-byte chars are 126 bytes: the 16-bit form though the text is only 42 chars long
        String text = "€".repeat(42);
        WireFrame f = WireFrame.text(text);
        assertThat(header(f, 4)).containsExactly(0x81, 126, 0, 126);
        assertThat(f.payloadLength()).isEqualTo(126);
        assertThat(f.text()).isEqualTo(text);
        assertThat(WireFrame.text("€".repeat(41) + "ab").toByteArray()[1]).isEqualTo((byte) 125);
    }

    @Test
    void the_encoded_bytes_are_never_handed_out_to_be_changed() {
        WireFrame f = WireFrame.text("hello");
        byte[] copy = f.toByteArray();
        copy[2] = 'J';
        assertThat(f.text()).isEqualTo("hello");
        assertThat(f.toByteArray()).isNotSameAs(f.toByteArray());
    }

    @Test
    void the_origin_stamp_is_kept_and_is_zero_without_one() {
        assertThat(WireFrame.text("x", 42L).originNanos()).isEqualTo(42L);
        assertThat(WireFrame.text("x").originNanos()).isZero();
        assertThat(WireFrame.text("x", 42L).toByteArray()).isEqualTo(WireFrame.text("x").toByteArray());
    }

    // ---- close frames

    @Test
    void a_close_frame_is_fin_close_then_the_code_big_endian_then_the_reason() {
        WireFrame f = WireFrame.close(1000, "bye");
        assertThat(f.toByteArray()).containsExactly(0x88, 5, 0x03, 0xE8, 'b', 'y', 'e');
        assertThat(f.opcode()).isEqualTo(WireFrame.CLOSE);
        assertThat(WireFrame.close(4000, "replaced").toByteArray())
                .startsWith(0x88, 10, 0x0F, 0xA0).endsWith("replaced".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void a_close_frame_without_a_reason_has_just_the_code() {
        assertThat(WireFrame.close(1009, null).toByteArray()).containsExactly(0x88, 2, 0x03, 0xF1);
        assertThat(WireFrame.close(1008, "").toByteArray()).containsExactly(0x88, 2, 0x03, 0xF0);
    }

    @Test
    void a_reason_of_exactly_123_bytes_is_kept_whole() {
        String reason = "r".repeat(123);
        WireFrame f = WireFrame.close(1000, reason);
        assertThat(f.payloadLength()).isEqualTo(125);
        assertThat(f.toByteArray()[1]).isEqualTo((byte) 125);
        assertThat(reasonOf(f)).isEqualTo(reason);
        assertThat(WireFrame.close(1000, "€".repeat(41)).payloadLength()).isEqualTo(125); // 123 bytes, whole chars
    }

    @Test
    void a_longer_ascii_reason_is_cut_to_123_bytes() {
        WireFrame f = WireFrame.close(1000, "r".repeat(500));
        assertThat(f.payloadLength()).isEqualTo(125);
        assertThat(reasonOf(f)).isEqualTo("r".repeat(123));
    }

    /**
     * A reason of three-byte chars after 0, 1 or 2 ASCII chars: the 123-byte cut falls at a char's
     * end, inside it after its first byte, or inside it after its second byte. The reason sent is
     * the longest whole-char prefix that fits, and valid UTF-8.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void a_reason_of_three_byte_chars_is_cut_before_a_char_never_inside_it(int asciiPrefix) {
        String reason = "a".repeat(asciiPrefix) + "€".repeat(60);
        int wholeChars = (123 - asciiPrefix) / 3; // 41, 40, 40
        String expected = "a".repeat(asciiPrefix) + "€".repeat(wholeChars);

        WireFrame f = WireFrame.close(1001, reason);

        byte[] b = f.toByteArray();
        assertThat(u(b[0])).isEqualTo(0x88);
        assertThat(u(b[2]) << 8 | u(b[3])).isEqualTo(1001);
        assertThat(strictUtf8(Arrays.copyOfRange(b, 4, b.length))).isEqualTo(expected);
        assertThat(f.payloadLength()).isEqualTo(2 + expected.getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(WireFrame.MAX_CONTROL_PAYLOAD);
        assertThat(u(b[1])).isEqualTo(f.payloadLength());
    }

    @Test
    void a_reason_of_four_byte_chars_is_cut_before_a_char_never_inside_it() {
        WireFrame f = WireFrame.close(1000, "😀".repeat(40)); // 160 bytes; 30 whole chars are 120
        assertThat(strictUtf8(Arrays.copyOfRange(f.toByteArray(), 4, f.length()))).isEqualTo("😀".repeat(30));
        assertThat(f.payloadLength()).isEqualTo(122);
    }

    // ---- ping and pong

    @Test
    void a_ping_is_fin_ping_with_no_payload() {
        assertThat(WireFrame.ping().toByteArray()).containsExactly(0x89, 0x00);
    }

    @Test
    void a_pong_carries_the_given_part_of_the_payload() {
        WireFrame f = WireFrame.pong(new byte[] {1, 2, 3, 9, 9}, 3);
        assertThat(f.toByteArray()).containsExactly(0x8A, 3, 1, 2, 3);
        assertThat(f.opcode()).isEqualTo(WireFrame.PONG);
        assertThat(WireFrame.pong(new byte[0], 0).toByteArray()).containsExactly(0x8A, 0);
    }

    private static String reasonOf(WireFrame f) {
        byte[] b = f.toByteArray();
        return strictUtf8(Arrays.copyOfRange(b, 4, b.length));
    }

    private static String strictUtf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("not valid UTF-8: " + Arrays.toString(b), e);
        }
    }
}
