package io.mailroom.websocket;

import java.time.Duration;
import java.util.List;

/**
 * How the transport treats every connection.
 *
 * @param maxMessageBytes the largest text message accepted from a client, in UTF-8 bytes
 * @param outboundQueueBytes the payload bytes that may wait in a connection's queue; past them the
 *                           client is closed 1008 {@code slow_consumer}
 * @param writeTimeout how long a connection may take no bytes at all while frames wait for it
 * @param closeTimeout how long a closing handshake may take before the socket is closed regardless
 * @param allowedOrigins origins allowed besides the server's own ({@code *}: any)
 * @param pingInterval how often an idle connection is pinged; one that has sent nothing, not even
 *                     the pong, by the next ping is taken as dead and closed 1001 {@code ping timeout}
 *                     (zero: never pinged)
 */
public record WebSocketSettings(int maxMessageBytes, long outboundQueueBytes, Duration writeTimeout,
                                Duration closeTimeout, List<String> allowedOrigins, Duration pingInterval) {
    public WebSocketSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
    }

    /** Settings without pings. */
    public WebSocketSettings(int maxMessageBytes, long outboundQueueBytes, Duration writeTimeout,
                             Duration closeTimeout, List<String> allowedOrigins) {
        this(maxMessageBytes, outboundQueueBytes, writeTimeout, closeTimeout, allowedOrigins, Duration.ZERO);
    }
}
