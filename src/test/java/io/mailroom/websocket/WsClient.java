package io.mailroom.websocket;

import java.io.ByteArrayOutputStream;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A WebSocket client on a plain socket that writes the upgrade request and every frame by hand, so
 * a test can send what no client library would (unmasked frames, invalid UTF-8, bad versions).
 */
final class WsClient implements AutoCloseable {
    /** The server's answer to the upgrade request: status, headers (names in lower case), and a body if any. */
    record Response(int status, Map<String, String> headers, String raw) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One frame read from the server. */
    record Frame(boolean fin, int rsv, boolean masked, int opcode, byte[] payload) {
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

    private WsClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 4096));
        this.out = socket.getOutputStream();
    }

    static WsClient connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** Connects with a kernel receive buffer of {@code receiveBuffer} bytes (0: the OS default), so a slow reader backs up the server. */
    static WsClient connect(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("localhost", port), 10_000);
        s.setSoTimeout(60_000); // a bound on a broken test, not an assertion
        return new WsClient(s);
    }

    /** Connects and upgrades to {@code path}; an {@link IOException} unless the answer is 101. */
    static WsClient upgraded(int port, String path, int receiveBuffer) throws IOException {
        WsClient c = connect(port, receiveBuffer);
        byte[] key = new byte[16];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(key);
        Response r = c.handshake(path, upgradeHeaders(port, java.util.Base64.getEncoder().encodeToString(key)));
        if (r.status() != 101) {
            c.close();
            throw new IOException("no upgrade: " + r.raw());
        }
        return c;
    }

    /** The usual upgrade request's headers, in order; a test changes or removes some. */
    static Map<String, String> upgradeHeaders(int port, String key) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Host", "localhost:" + port);
        h.put("Upgrade", "websocket");
        h.put("Connection", "Upgrade");
        h.put("Sec-WebSocket-Key", key);
        h.put("Sec-WebSocket-Version", "13");
        return h;
    }

    /** Writes {@code GET path} with {@code headers} and reads the response head (and, when not 101, its body). */
    Response handshake(String path, Map<String, String> headers) throws IOException {
        return request("GET", path, headers);
    }

    /** As {@link #handshake(String, Map)}, with {@code after} in the same write: frames sent before the answer came. */
    Response handshake(String path, Map<String, String> headers, byte[] after) throws IOException {
        return request("GET", path, headers, after);
    }

    /** Writes {@code method path} with {@code headers} and reads the response head. */
    Response request(String method, String path, Map<String, String> headers) throws IOException {
        return request(method, path, headers, new byte[0]);
    }

    private Response request(String method, String path, Map<String, String> headers, byte[] after) throws IOException {
        StringBuilder r = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        headers.forEach((k, v) -> r.append(k).append(": ").append(v).append("\r\n"));
        r.append("\r\n");
        out.write(ClientFrames.concat(r.toString().getBytes(StandardCharsets.US_ASCII), after));
        out.flush();
        String head = readHead();
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> parsed = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                parsed.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        return new Response(status, parsed, head);
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0D0A0D0A) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the connection ended in the response head: " + b.toString(StandardCharsets.US_ASCII));
            }
            b.write(c);
            last4 = (last4 << 8) | c;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Reads {@code n} bytes of a response body. */
    String readBody(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Writes raw bytes: a frame from {@link ClientFrames}, or anything else. */
    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void sendText(String text) throws IOException {
        write(ClientFrames.text(text));
    }

    /** Reads the next frame (blocking, up to the socket timeout). */
    Frame read() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        if ((b1 & 0x80) != 0) {
            in.readFully(new byte[4]); // a server must not mask; the test asserts masked == false
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 0x7, (b1 & 0x80) != 0, b0 & 0x0f, payload);
    }

    /** Whether the server has closed the TCP connection: the next read ends the stream. False if a byte arrives instead. */
    boolean atEof() throws IOException {
        return in.read() < 0;
    }

    /** Closes the TCP connection without a close frame. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
