package io.mailroom.websocket;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Writes down what a {@link FrameDecoder} reports, one string per event, in order. */
final class RecordingSink implements FrameDecoder.Sink {
    final List<String> events = new ArrayList<>();
    /** The reasons given with protocol errors, for messages when a test fails. */
    final List<String> errorReasons = new ArrayList<>();

    static String textEvent(String message) {
        return "text:" + message;
    }

    static String pingEvent(byte[] payload) {
        return "ping:" + HexFormat.of().formatHex(payload);
    }

    @Override
    public void text(String message) {
        events.add(textEvent(message));
    }

    @Override
    public void ping(byte[] payload, int length) {
        events.add("ping:" + HexFormat.of().formatHex(payload, 0, length));
    }

    @Override
    public void pong() {
        events.add("pong");
    }

    @Override
    public void close(int code, String reason) {
        events.add("close:" + code + ":" + reason);
    }

    @Override
    public void tooLarge(int limit) {
        events.add("tooLarge:" + limit);
    }

    @Override
    public void binary() {
        events.add("binary");
    }

    @Override
    public void protocolError(int code, String reason) {
        events.add("protocolError:" + code);
        errorReasons.add(reason);
    }
}
