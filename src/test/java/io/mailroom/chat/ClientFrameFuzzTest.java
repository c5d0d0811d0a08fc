package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.mailroom.names.Names;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decoding client frames under hostile input (docs/reliability.md, "Fuzzing"): {@link Frames#decode}
 * never throws and always answers a {@link ClientFrame}, either a valid one that keeps the contract's
 * rules or an {@code Invalid} with one of the codes protocol.md §1 gives the stateless rules. The
 * structured variant builds JSON objects from the fuzzer's data with a model of what the contract
 * says each must decode to, and checks the decoder gives exactly that.
 */
class ClientFrameFuzzTest {
    private static final Frames FRAMES = new Frames(JsonMapper.builder().build());
    private static final Set<String> CODES = Set.of("bad_json", "unknown_type", "bad_request", "invalid_room");

    @FuzzTest(maxDuration = "5m")
    void arbitraryStrings(@NotNull String payload) {
        check(FRAMES.decode(payload));
    }

    /** What holds of every decoded frame, whatever came in. */
    private static ClientFrame check(ClientFrame frame) {
        assertThat(frame).isNotNull();
        assertThat(frame.ref() == null || validRef(frame.ref())).as("ref %s", frame.ref()).isTrue();
        switch (frame) {
            case ClientFrame.Invalid(String code, String message, String ref, int closeCode) -> {
                assertThat(code).isIn(CODES);
                assertThat(message).isNotNull();
                assertThat(closeCode).isZero();
            }
            case ClientFrame.Join(String room, Long since, String ref) -> assertThat(Names.isRoomName(room)).isTrue();
            case ClientFrame.Leave(String room, String ref) -> assertThat(Names.isRoomName(room)).isTrue();
            case ClientFrame.Send(String room, String text, String ref) -> {
                assertThat(Names.isRoomName(room)).isTrue();
                assertThat(text).isNotNull();
            }
        }
        return frame;
    }

    private static boolean validRef(String ref) {
        return ref.codePointCount(0, ref.length()) <= Frames.MAX_REF_LENGTH && !hasLoneSurrogate(ref);
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ structured

    enum Kind { STRING, INTEGER, FLOAT, BOOLEAN, NULL, ARRAY, OBJECT }

    /** A JSON value as the model sees it, and its text. */
    record Value(Kind kind, String string, BigInteger integer, String json, int depth) {}

    private static final String[] KEYS = {"type", "room", "text", "ref", "since", "type", "room", "extra", "Type", ""};
    private static final String[] TYPES = {"join", "leave", "send", "JOIN", "joined", "", "send "};
    private static final String[] ROOMS = {"lobby", "a", "0", "a-b_c", "x".repeat(32), "x".repeat(33), "Lobby",
        "-a", "_a", "", " lobby", "lob by", "lobby\n", "l\u00f6bby", "\ud800", "\ud83d\ude00"};
    private static final BigInteger[] INTEGERS = {BigInteger.ZERO, BigInteger.ONE, BigInteger.valueOf(-1),
        BigInteger.valueOf(42), BigInteger.valueOf(Long.MAX_VALUE), BigInteger.valueOf(Long.MIN_VALUE),
        BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE), BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE),
        new BigInteger("123456789012345678901234567890123456789"), new BigInteger("-99999999999999999999999999")};
    private static final String[] FLOATS = {"1.5", "42.0", "1e3", "-0.0", "1e400", "-1e-400", "4.2E1"};

    @FuzzTest(maxDuration = "5m")
    void structuredJson(FuzzedDataProvider data) {
        List<Map.Entry<String, Value>> fields = new ArrayList<>();
        int n = data.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            String key = data.consumeBoolean() ? data.pickValue(KEYS) : data.consumeString(8);
            fields.add(Map.entry(key, value(data, key, 0)));
        }
        StringBuilder json = new StringBuilder();
        json.append(space(data)).append('{');
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append(space(data)).append(quote(data, fields.get(i).getKey())).append(space(data)).append(':')
                    .append(space(data)).append(fields.get(i).getValue().json()).append(space(data));
        }
        json.append('}').append(space(data));

        ClientFrame actual = check(FRAMES.decode(json.toString()));

        // the contract says nothing of a key given twice: either the first or the last may count
        Map<String, Value> last = new LinkedHashMap<>();
        Map<String, Value> first = new LinkedHashMap<>();
        int depth = 0;
        for (Map.Entry<String, Value> f : fields) {
            last.put(f.getKey(), f.getValue());
            first.putIfAbsent(f.getKey(), f.getValue());
            depth = Math.max(depth, f.getValue().depth());
        }
        ClientFrame byLast = expected(last);
        ClientFrame byFirst = expected(first);
        if (depth > 200 && actual instanceof ClientFrame.Invalid i && i.code().equals("bad_json")) {
            return; // a parser may refuse nesting this deep; under 200 levels it must not
        }
        assertThat(same(actual, byLast) || same(actual, byFirst))
                .as("%s decoded to %s; the contract says %s", json, actual, byLast).isTrue();
    }

    private static boolean same(ClientFrame actual, ClientFrame expected) {
        if (actual instanceof ClientFrame.Invalid a && expected instanceof ClientFrame.Invalid e) {
            return a.code().equals(e.code()) && java.util.Objects.equals(a.ref(), e.ref());
        }
        return actual.equals(expected);
    }

    /** What protocol.md §1 says the object {@code o} decodes to, in its order of errors. */
    private static ClientFrame expected(Map<String, Value> o) {
        Value refValue = o.get("ref");
        String ref = refValue != null && refValue.kind() == Kind.STRING && validRef(refValue.string())
                ? refValue.string() : null;
        boolean badRef = refValue != null && ref == null;
        Value type = o.get("type");
        if (type == null || type.kind() != Kind.STRING || !Set.of("join", "leave", "send").contains(type.string())) {
            return ClientFrame.Invalid.open("unknown_type", "", ref);
        }
        if (badRef) {
            return ClientFrame.Invalid.open("bad_request", "", null);
        }
        Value room = o.get("room");
        if (room == null || room.kind() != Kind.STRING) {
            return ClientFrame.Invalid.open("bad_request", "", ref);
        }
        Long since = null;
        Value sinceValue = o.get("since");
        Value text = o.get("text");
        if (type.string().equals("join") && sinceValue != null) {
            if (sinceValue.kind() != Kind.INTEGER || sinceValue.integer().bitLength() > 63) {
                return ClientFrame.Invalid.open("bad_request", "", ref);
            }
            since = sinceValue.integer().longValueExact();
        }
        if (type.string().equals("send") && (text == null || text.kind() != Kind.STRING)) {
            return ClientFrame.Invalid.open("bad_request", "", ref);
        }
        if (!Names.isRoomName(room.string())) {
            return ClientFrame.Invalid.open("invalid_room", "", ref);
        }
        return switch (type.string()) {
            case "join" -> new ClientFrame.Join(room.string(), since, ref);
            case "leave" -> new ClientFrame.Leave(room.string(), ref);
            default -> new ClientFrame.Send(room.string(), text.string(), ref);
        };
    }

    private static Value value(FuzzedDataProvider data, String key, int level) {
        Kind kind = data.pickValue(Kind.values());
        return switch (kind) {
            case STRING -> {
                String s = switch (data.consumeInt(0, 3)) {
                    case 0 -> key.equals("type") ? data.pickValue(TYPES) : data.pickValue(ROOMS);
                    case 1 -> data.pickValue(ROOMS);
                    case 2 -> lone(data);
                    default -> data.consumeString(data.consumeBoolean() ? 70 : 5000);
                };
                yield new Value(Kind.STRING, s, null, quote(data, s), 0);
            }
            case INTEGER -> {
                BigInteger i = data.consumeBoolean() ? data.pickValue(INTEGERS) : BigInteger.valueOf(data.consumeLong());
                yield new Value(Kind.INTEGER, null, i, i.toString(), 0);
            }
            case FLOAT -> new Value(Kind.FLOAT, null, null, data.pickValue(FLOATS), 0);
            case BOOLEAN -> new Value(Kind.BOOLEAN, null, null, data.consumeBoolean() ? "true" : "false", 0);
            case NULL -> new Value(Kind.NULL, null, null, "null", 0);
            case ARRAY, OBJECT -> {
                int depth = data.consumeBoolean() ? data.consumeInt(1, 3) : data.consumeInt(1, 3000);
                StringBuilder b = new StringBuilder();
                String open = kind == Kind.ARRAY ? "[" : "{\"k\":";
                String close = kind == Kind.ARRAY ? "]" : "}";
                b.append(open.repeat(depth));
                Value inner = level < 2 && data.consumeBoolean() ? value(data, key, level + 1) : null;
                b.append(inner == null ? "1" : inner.json());
                b.append(close.repeat(depth));
                yield new Value(kind, null, null, b.toString(), depth + (inner == null ? 0 : inner.depth()));
            }
        };
    }

    /** A string with surrogates out of place: lone highs and lows, reversed pairs. */
    private static String lone(FuzzedDataProvider data) {
        StringBuilder b = new StringBuilder(data.consumeString(4));
        int k = data.consumeInt(1, 4);
        for (int i = 0; i < k; i++) {
            b.append((char) data.consumeInt(0xD800, 0xDFFF)).append(data.consumeString(2));
        }
        return b.toString();
    }

    /** {@code s} as a JSON string, each char beyond ASCII raw or escaped as the fuzzer says. */
    private static String quote(FuzzedDataProvider data, String s) {
        boolean escapeAll = data.consumeBoolean();
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || (c >= 0x7F && escapeAll)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static String space(FuzzedDataProvider data) {
        return data.consumeBoolean() ? "" : data.pickValue(new String[] {" ", "\n", "\t ", "\r\n  "});
    }
}
