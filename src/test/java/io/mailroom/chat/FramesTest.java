package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/** The wire format on its own: decoding rules in the contract's order, and the text and size rules. */
@Timeout(10)
class FramesTest {
    private final Frames frames = new Frames(JsonMapper.builder().build());

    private String code(String frame) {
        return frames.decode(frame) instanceof ClientFrame.Invalid(var code, var message, var ref, var close) ? code : "ok";
    }

    @Test
    void decodesTheThreeFrameTypes() {
        assertThat(frames.decode("{\"type\":\"join\",\"room\":\"lobby\",\"since\":42}"))
                .isEqualTo(new ClientFrame.Join("lobby", 42L, null));
        assertThat(frames.decode("{\"type\":\"join\",\"room\":\"lobby\"}"))
                .isEqualTo(new ClientFrame.Join("lobby", null, null));
        assertThat(frames.decode("{\"type\":\"leave\",\"room\":\"lobby\",\"ref\":\"l\"}"))
                .isEqualTo(new ClientFrame.Leave("lobby", "l"));
        assertThat(frames.decode("{\"type\":\"send\",\"room\":\"lobby\",\"text\":\" hi \",\"ref\":\"c1\",\"extra\":1}"))
                .isEqualTo(new ClientFrame.Send("lobby", " hi ", "c1"));
    }

    @Test
    void theFirstRuleThatAppliesWins() {
        assertThat(code("{\"type\":\"send\"")).isEqualTo("bad_json");
        assertThat(code("{\"ref\":5}")).isEqualTo("unknown_type");
        assertThat(code("{\"type\":\"send\",\"ref\":5,\"room\":\"BAD\"}")).isEqualTo("bad_request");
        assertThat(code("{\"type\":\"send\",\"room\":\"BAD\"}")).isEqualTo("bad_request");
        assertThat(code("{\"type\":\"send\",\"room\":\"BAD\",\"text\":\"\"}")).isEqualTo("invalid_room");
        assertThat(code("{\"type\":\"join\",\"room\":\"BAD\",\"since\":\"x\"}")).isEqualTo("bad_request");
        assertThat(code("{\"type\":\"send\",\"room\":\"ok\",\"text\":\"\"}")).isEqualTo("ok"); // text is the session's rule
        assertThat(code("{\"type\":\"send\",\"room\":\"ok\",\"text\":\"x\",\"ref\":\"\\ud800\"}")).isEqualTo("bad_request");
    }

    @Test
    void textMustHoldSomethingButWhiteSpaceAndAtMost4000CodePoints() {
        assertThat(Frames.textProblem(" \t\n\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u0085", 4000)).isNotNull();
        assertThat(Frames.textProblem("\u200b", 4000)).isNull(); // zero width space is not White_Space
        assertThat(Frames.textProblem("😀".repeat(4000), 4000)).isNull();
        assertThat(Frames.textProblem("😀".repeat(4001), 4000)).isNotNull();
        assertThat(Frames.textProblem("a\ud800b", 4000)).isNotNull();
    }

    @Test
    void utf8LengthIsCountedWithoutEncoding() {
        for (String s : new String[] {"", "abc", "é", "€", "😀", "a€😀é\u0000", "x".repeat(16384)}) {
            assertThat(OutFrame.utf8Length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void messagesAreEncodedOnceWithTheContractsFieldsAndTimestamp() {
        OutFrame m = frames.message("lobby", 17, "Ada", "<b>hi</b> 😀", "2026-11-25T03:22:36.123Z", 5);
        assertThat(m.text()).isEqualTo(
                "{\"type\":\"message\",\"room\":\"lobby\",\"seq\":17,\"from\":\"Ada\",\"text\":\"<b>hi</b> 😀\",\"ts\":\"2026-11-25T03:22:36.123Z\"}");
        assertThat(m.bytes()).isEqualTo(m.text().getBytes(StandardCharsets.UTF_8).length);
        assertThat(Frames.timestamp(java.time.Instant.parse("2026-11-25T03:22:36Z"))).isEqualTo("2026-11-25T03:22:36.000Z");
    }
}
