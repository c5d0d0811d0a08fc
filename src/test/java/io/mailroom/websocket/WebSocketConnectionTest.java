package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The closing handshake of one connection over a socket that takes every write at once. The close
 * timeout is an hour, so whatever closes the socket here is the handshake itself, never the timer.
 */
@Timeout(10)
class WebSocketConnectionTest {

    /** A socket that records what is written and whether it was closed; every write completes at once. */
    static final class RecordingChannel implements WireChannel {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        int closes;

        @Override
        public void write(ByteBuffer buffer, CompletionHandler<Long, Void> done) {
            long n = buffer.remaining();
            byte[] b = new byte[buffer.remaining()];
            buffer.get(b);
            written.writeBytes(b);
            done.completed(n, null);
        }

        @Override
        public void close() {
            closes++;
        }

        @Override
        public String describe() {
            return "a recording channel";
        }
    }

    static final class CountingListener implements WebSocketListener {
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public void onText(String text) {}

        @Override
        public void onPong() {}

        @Override
        public void onTooLarge(int limit) {}

        @Override
        public void onBinary() {}

        @Override
        public void onClosed() {
            closed.incrementAndGet();
        }
    }

    private final WebSocketTransport transport = new WebSocketTransport(
            new WebSocketSettings(16384, 1 << 20, Duration.ofSeconds(60), Duration.ofHours(1), List.of()), f -> {});
    private final RecordingChannel channel = new RecordingChannel();
    private final CountingListener listener = new CountingListener();
    private final WebSocketConnection connection =
            transport.open(channel, (c, r) -> listener, new HandshakeRequest(Map.of(), "test"));

    @AfterEach
    void stopTimer() {
        transport.close();
    }

    private byte[] written() {
        return channel.written.toByteArray();
    }

    @Test
    void frames_sent_are_written_as_encoded() {
        WireFrame f = WireFrame.text("hi");
        assertThat(connection.send(f)).isTrue();
        assertThat(written()).isEqualTo(f.toByteArray());
        assertThat(channel.closes).isZero();
    }

    @Test
    void the_peers_close_is_answered_with_its_code_and_then_the_socket_is_closed() {
        connection.peerClose(1001);
        assertThat(written()).isEqualTo(WireFrame.close(1001, "").toByteArray());
        assertThat(channel.closes).isEqualTo(1);
        assertThat(connection.whenClosed()).isDone();
        assertThat(transport.openConnections()).isEmpty();
        assertThat(listener.closed).hasValue(1);
    }

    @Test
    void a_peers_close_without_a_code_is_answered_1000() {
        connection.peerClose(1005);
        assertThat(written()).isEqualTo(WireFrame.close(1000, "").toByteArray());
    }

    @Test
    void our_close_waits_for_the_peers_reply_before_closing_the_socket() {
        connection.send(WireFrame.text("last"));
        connection.close(1000, "bye");
        assertThat(written()).isEqualTo(ClientFrames.concat(
                WireFrame.text("last").toByteArray(), WireFrame.close(1000, "bye").toByteArray()));
        assertThat(channel.closes).isZero();
        assertThat(connection.whenClosed()).isNotDone();

        connection.peerClose(1000);

        assertThat(written()).as("no second close frame").hasSize(WireFrame.text("last").length() + WireFrame.close(1000, "bye").length());
        assertThat(channel.closes).isEqualTo(1);
        assertThat(connection.whenClosed()).isDone();
        assertThat(listener.closed).hasValue(1);
    }

    /**
     * RFC 6455 §7.1.7: on a protocol error the server fails the connection, which closes it (§5.1:
     * "MUST close the connection upon receiving a frame that is not masked"). Reads stop after the
     * error, so no reply of the peer can end the closing handshake: the socket must close once the
     * close frame is out, not when the close timeout fires.
     */
    @Test
    void a_protocol_error_writes_the_close_frame_and_then_closes_the_socket() {
        connection.send(WireFrame.text("queued"));
        connection.protocolError(1002, "client frames must be masked");
        assertThat(written()).isEqualTo(ClientFrames.concat(WireFrame.text("queued").toByteArray(),
                WireFrame.close(1002, "client frames must be masked").toByteArray()));
        assertThat(channel.closes).isEqualTo(1);
        assertThat(connection.whenClosed()).isDone();
        assertThat(transport.openConnections()).isEmpty();
        assertThat(listener.closed).hasValue(1);
    }

    @Test
    void a_protocol_error_after_our_close_frame_went_out_closes_the_socket_at_once() {
        connection.close(1000, "bye");
        assertThat(channel.closes).isZero();
        connection.protocolError(1007, "invalid UTF-8");
        assertThat(written()).isEqualTo(WireFrame.close(1000, "bye").toByteArray());
        assertThat(channel.closes).isEqualTo(1);
        assertThat(connection.whenClosed()).isDone();
        assertThat(listener.closed).hasValue(1);
    }

    @Test
    void after_the_socket_ends_nothing_more_is_sent_and_the_listener_was_told_once() {
        connection.finish();
        connection.finish();
        assertThat(connection.send(WireFrame.text("late"))).isFalse();
        assertThat(written()).isEmpty();
        assertThat(channel.closes).isEqualTo(1);
        assertThat(listener.closed).hasValue(1);
        assertThat(transport.openConnections()).isEmpty();
    }
}
