package io.mailroom.chat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bare WebSocket client on a plain socket, for what a well-behaved client library will not do:
 * never read (with a small receive buffer, so the kernel holds little), never answer pings.
 */
final class RawClient implements AutoCloseable {
    /** One frame read: its opcode, its payload, and the whole frame as it came on the wire. */
    record Frame(int opcode, byte[] payload, byte[] raw) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }

        String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and upgrades; {@code receiveBuffer} bytes of kernel receive buffer. */
    static RawClient connect(int port, String user, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBuffer);
        s.connect(new java.net.InetSocketAddress("localhost", port), 10_000);
        s.setSoTimeout(20_000);
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET /ws/chat?user=" + user + " HTTP/1.1\r\n"
                + "Host: localhost:" + port + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        RawClient client = new RawClient(s);
        String headers = client.readHeaders();
        if (!headers.startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("no upgrade: " + headers);
        }
        return client;
    }

    private String readHeaders() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException();
            }
            b.write(c);
            matched = (c == '\r' || c == '\n') && ((matched % 2 == 0) == (c == '\r')) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Sends a masked text frame. */
    synchronized void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >> 8);
            f.write(payload.length);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i % 4]);
        }
        out.write(f.toByteArray());
        out.flush();
    }

    /** Sends {@code bytes} as they are: frames, parts of frames, or garbage. */
    synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sets how long a read waits before it fails. */
    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Reads the next frame (blocking, up to the socket timeout). */
    Frame read() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        raw.write(b0);
        raw.write(b1);
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
            raw.write((int) (length >> 8));
            raw.write((int) length);
        } else if (length == 127) {
            length = in.readLong();
            for (int i = 7; i >= 0; i--) {
                raw.write((int) (length >>> (8 * i)));
            }
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        raw.write(payload);
        return new Frame(b0 & 0x0f, payload, raw.toByteArray());
    }

    /** Reads frames until a close frame (opcode 8); null if the connection ends first. */
    Frame readUntilClose() throws IOException {
        try {
            while (true) {
                Frame f = read();
                if (f.opcode() == 8) {
                    return f;
                }
            }
        } catch (EOFException e) {
            return null;
        }
    }

    InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
