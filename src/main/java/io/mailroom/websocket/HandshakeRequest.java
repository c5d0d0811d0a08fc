package io.mailroom.websocket;

import java.util.Map;

/**
 * What an endpoint may know of the HTTP request that opened a connection, captured before the
 * upgrade (the servlet request is recycled once the connection is upgraded).
 *
 * @param parameters the query parameters, decoded (the first value of each)
 * @param remoteAddress the peer's address as the container saw it
 */
public record HandshakeRequest(Map<String, String> parameters, String remoteAddress) {
    public HandshakeRequest {
        parameters = Map.copyOf(parameters);
    }

    /** The query parameter {@code name}, or null. */
    public String parameter(String name) {
        return parameters.get(name);
    }
}
