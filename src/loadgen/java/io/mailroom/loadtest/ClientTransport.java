package io.mailroom.loadtest;

/**
 * How {@link LoadGen}'s clients reach the server: {@link NettyClientTransport} (the default, on
 * Netty's native epoll transport) or {@link JdkClientTransport} (the JDK's {@code HttpClient}
 * WebSocket, which the earlier runs in docs/benchmarks.md used). The generator shares the machine's
 * cores with the server it measures, so what the client costs per delivery bounds the highest rate
 * the ramp can show.
 */
interface ClientTransport {

    /** What a client is told about its socket; called on the transport's threads. */
    interface Events {
        /** The handshake is done: {@code conn} sends from now on. */
        void opened(Conn conn);

        /** One whole text frame. */
        void onFrame(String text);

        /** The socket closed, failed or never opened; may come more than once. */
        void closed(String why);
    }

    /** One open socket. */
    interface Conn {
        /** Sends a text frame, after every frame sent before it; safe from any thread. */
        void sendText(String frame);

        /** Drops the socket without a close handshake. */
        void abort();
    }

    /** Connects to {@code ws://host:port path}, reporting to {@code events}. */
    void open(String host, int port, String path, Events events);

    /** Picks the transport {@code name} ({@code netty} or {@code jdk}) with {@code threads} I/O threads. */
    static ClientTransport named(String name, int threads) {
        return switch (name) {
            case "netty" -> new NettyClientTransport(threads);
            case "jdk" -> new JdkClientTransport(threads);
            default -> throw new IllegalArgumentException("client=" + name + ": netty or jdk");
        };
    }
}
