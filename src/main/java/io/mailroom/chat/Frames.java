package io.mailroom.chat;

import io.mailroom.names.Names;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;

/**
 * The chat's wire format (protocol.md §1): decodes client frames into {@link ClientFrame}s, once,
 * and encodes server frames into {@link OutFrame}s. Thread-safe.
 */
public final class Frames {
    /** The longest {@code ref}, in code points. */
    public static final int MAX_REF_LENGTH = 64;

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final ObjectMapper json;
    private final ObjectReader reader;

    public Frames(ObjectMapper json) {
        this.json = json;
        this.reader = json.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes one text frame, applying the contract's stateless rules in its order: {@code bad_json},
     * {@code unknown_type}, {@code bad_request}, {@code invalid_room}. The size rule is the caller's.
     */
    public ClientFrame decode(String payload) {
        JsonNode root;
        try {
            root = reader.readTree(payload);
        } catch (JacksonException | IllegalArgumentException e) {
            return ClientFrame.Invalid.open("bad_json", "the frame is not a JSON object", null);
        }
        if (root == null || !root.isObject()) {
            return ClientFrame.Invalid.open("bad_json", "the frame is not a JSON object", null);
        }
        JsonNode refNode = root.get("ref");
        String ref = null;
        boolean badRef = false;
        if (refNode != null) {
            if (refNode.isString() && isRef(refNode.asString())) {
                ref = refNode.asString();
            } else {
                badRef = true;
            }
        }
        JsonNode typeNode = root.get("type");
        if (typeNode == null || !typeNode.isString()) {
            return ClientFrame.Invalid.open("unknown_type", "\"type\" must be one of join, leave, send", ref);
        }
        String type = typeNode.asString();
        if (!type.equals("join") && !type.equals("leave") && !type.equals("send")) {
            return ClientFrame.Invalid.open("unknown_type", "unknown type \"" + abbreviate(type) + "\"", ref);
        }
        if (badRef) {
            return ClientFrame.Invalid.open("bad_request", "\"ref\" must be a string of at most "
                    + MAX_REF_LENGTH + " characters", null);
        }
        JsonNode roomNode = root.get("room");
        if (roomNode == null || !roomNode.isString()) {
            return ClientFrame.Invalid.open("bad_request", "\"room\" must be a string", ref);
        }
        Long since = null;
        String text = null;
        if (type.equals("join")) {
            JsonNode sinceNode = root.get("since");
            if (sinceNode != null) {
                if (!sinceNode.isIntegralNumber() || !sinceNode.canConvertToLong()) {
                    return ClientFrame.Invalid.open("bad_request", "\"since\" must be an integer", ref);
                }
                since = sinceNode.longValue();
            }
        } else if (type.equals("send")) {
            JsonNode textNode = root.get("text");
            if (textNode == null || !textNode.isString()) {
                return ClientFrame.Invalid.open("bad_request", "\"text\" must be a string", ref);
            }
            text = textNode.asString();
        }
        String room = roomNode.asString();
        if (!Names.isRoomName(room)) {
            return ClientFrame.Invalid.open("invalid_room", "room names match ^[a-z0-9][a-z0-9_-]{0,31}$", ref);
        }
        return switch (type) {
            case "join" -> new ClientFrame.Join(room, since, ref);
            case "leave" -> new ClientFrame.Leave(room, ref);
            default -> new ClientFrame.Send(room, text, ref);
        };
    }

    /**
     * Why {@code text} breaks the {@code invalid_text} rule, or null if it is fine: empty after
     * trimming Unicode white space, longer than {@code maxLength} code points, or not valid Unicode
     * (an unpaired surrogate, which no UTF-8 socket could carry).
     */
    public static String textProblem(String text, int maxLength) {
        boolean blank = true;
        int length = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
                return "text must be valid Unicode";
            }
            if (blank && !isWhiteSpace(cp)) {
                blank = false;
            }
            length++;
            i += Character.charCount(cp);
        }
        if (blank) {
            return "text must not be empty";
        }
        if (length > maxLength) {
            return "text must be at most " + maxLength + " characters";
        }
        return null;
    }

    /** Unicode's White_Space property. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || Character.isSpaceChar(cp);
    }

    private static boolean isRef(String ref) {
        if (ref.codePointCount(0, ref.length()) > MAX_REF_LENGTH) {
            return false;
        }
        for (int i = 0; i < ref.length(); i++) {
            char c = ref.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= ref.length() || !Character.isLowSurrogate(ref.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        String t = s.length() > 32 ? s.substring(0, 32) + "…" : s;
        StringBuilder b = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            b.append(Character.isSurrogate(c) || Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- encoding

    /** The contract's timestamp: ISO-8601 UTC with milliseconds. */
    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    public OutFrame welcome(String user, String session) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "welcome");
            g.writeStringProperty("user", user);
            g.writeStringProperty("session", session);
        }));
    }

    public OutFrame error(String code, String message, String ref) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "error");
            g.writeStringProperty("code", code);
            g.writeStringProperty("message", message);
            if (ref != null) {
                g.writeStringProperty("ref", ref);
            }
        }));
    }

    /** A chat message: the complete {@code message} frame, stored as is and sent as is. */
    public OutFrame message(String room, long seq, String from, String text, String ts, long acceptedNanos) {
        return OutFrame.message(write(g -> {
            g.writeStringProperty("type", "message");
            g.writeStringProperty("room", room);
            g.writeNumberProperty("seq", seq);
            g.writeStringProperty("from", from);
            g.writeStringProperty("text", text);
            g.writeStringProperty("ts", ts);
        }), acceptedNanos);
    }

    /**
     * A chat message's frame cut where its seq goes, {@code [before, after]}: for a store that gives
     * the seq as it stores the message (cluster mode), so that the frame is still encoded here, once.
     * The room name comes before the seq and is plain ASCII, so the cut is the first {@code "seq":0,}.
     */
    public String[] messageAroundSeq(String room, String from, String text, String ts) {
        String whole = message(room, 0, from, text, ts, 0).text();
        int at = whole.indexOf("\"seq\":0,") + "\"seq\":".length();
        return new String[] {whole.substring(0, at), whole.substring(at + 1)};
    }

    public OutFrame ack(String room, String ref, long seq, String ts) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "ack");
            g.writeStringProperty("room", room);
            if (ref != null) {
                g.writeStringProperty("ref", ref);
            }
            g.writeNumberProperty("seq", seq);
            g.writeStringProperty("ts", ts);
        }));
    }

    /**
     * {@code joined}: the room's {@code epoch} (v1.1), members sorted by the caller, history entries
     * complete message frames; {@code "more":true} when stored messages after {@code history} were left out.
     */
    public OutFrame joined(String room, String epoch, List<String> members, List<OutFrame> history,
                           boolean truncated, boolean more) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "joined");
            g.writeStringProperty("room", room);
            g.writeStringProperty("epoch", epoch);
            g.writeName("members");
            g.writeStartArray();
            for (String m : members) {
                g.writeString(m);
            }
            g.writeEndArray();
            g.writeName("history");
            g.writeStartArray();
            for (OutFrame h : history) {
                g.writeRawValue(h.text());
            }
            g.writeEndArray();
            if (truncated) {
                g.writeBooleanProperty("truncated", true);
            }
            if (more) {
                g.writeBooleanProperty("more", true);
            }
        }));
    }

    public OutFrame presence(String room, String event, String user) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "presence");
            g.writeStringProperty("room", room);
            g.writeStringProperty("event", event);
            g.writeStringProperty("user", user);
        }));
    }

    public OutFrame left(String room) {
        return OutFrame.of(write(g -> {
            g.writeStringProperty("type", "left");
            g.writeStringProperty("room", room);
        }));
    }

    /** A JSON array of complete frames, for the REST API. */
    public static String array(List<OutFrame> frames) {
        int size = 2;
        for (OutFrame f : frames) {
            size += f.text().length() + 1;
        }
        StringBuilder b = new StringBuilder(size).append('[');
        for (int i = 0; i < frames.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(frames.get(i).text());
        }
        return b.append(']').toString();
    }

    private String write(Consumer<JsonGenerator> body) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            body.accept(g);
            g.writeEndObject();
        }
        return out.toString();
    }
}
