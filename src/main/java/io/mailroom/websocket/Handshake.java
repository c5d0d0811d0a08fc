package io.mailroom.websocket;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** The server's side of the RFC 6455 opening handshake: which requests may upgrade, and the accept key. */
final class Handshake {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private Handshake() {}

    /** A request that may not upgrade: the HTTP status, a header to add (or null), and why. */
    record Refusal(int status, String header, String headerValue, String message) {}

    /**
     * Null when the request may upgrade, else why not. {@code ownOrigin} is the server's origin as
     * the request addressed it ({@code http://host:port}).
     */
    static Refusal check(String method, String upgrade, String connection, String version, String key,
                         String origin, String ownOrigin, List<String> allowedOrigins) {
        if (!"GET".equals(method)) {
            return new Refusal(405, "Allow", "GET", "a WebSocket handshake is a GET");
        }
        if (!hasToken(upgrade, "websocket")) {
            return new Refusal(426, "Upgrade", "websocket", "this resource is a WebSocket: upgrade to websocket");
        }
        if (!hasToken(connection, "upgrade")) {
            return new Refusal(400, null, null, "Connection must include Upgrade");
        }
        if (!"13".equals(version == null ? null : version.trim())) {
            return new Refusal(426, "Sec-WebSocket-Version", "13", "only WebSocket version 13 is supported");
        }
        if (!validKey(key)) {
            return new Refusal(400, null, null, "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        if (origin != null && !originAllowed(origin, ownOrigin, allowedOrigins)) {
            return new Refusal(403, null, null, "origin not allowed: " + origin);
        }
        return null;
    }

    /** {@code Sec-WebSocket-Accept} for {@code key}. */
    static String accept(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] digest = sha1.digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    static boolean originAllowed(String origin, String ownOrigin, List<String> allowed) {
        if (allowed.contains("*")) {
            return true; // any, as configured: even "null" (a sandboxed page, a file)
        }
        String o = normalize(origin);
        if (o == null) {
            return false; // "null" (a sandboxed page, a file) or malformed: not a site we know
        }
        if (o.equals(normalize(ownOrigin))) {
            return true;
        }
        for (String a : allowed) {
            if (o.equals(normalize(a))) {
                return true;
            }
        }
        return false;
    }

    /** {@code scheme://host[:port]} in lower case, without a default port; null if it is not an origin. */
    static String normalize(String origin) {
        if (origin == null) {
            return null;
        }
        try {
            URI u = new URI(origin.trim());
            String scheme = u.getScheme();
            String host = u.getHost();
            if (scheme == null || host == null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            int port = u.getPort();
            boolean defaultPort = port == -1 || (port == 80 && (scheme.equals("http") || scheme.equals("ws")))
                    || (port == 443 && (scheme.equals("https") || scheme.equals("wss")));
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static boolean validKey(String key) {
        if (key == null) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether the comma-separated header {@code value} has {@code token} (case-insensitive). */
    static boolean hasToken(String value, String token) {
        if (value == null) {
            return false;
        }
        for (String t : value.split(",")) {
            if (t.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
