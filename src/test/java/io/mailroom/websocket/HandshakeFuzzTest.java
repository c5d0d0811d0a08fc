package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The opening handshake's checks under arbitrary header values (docs/reliability.md, "Fuzzing"):
 * {@link Handshake#check}, {@link Handshake#normalize} and {@link Handshake#originAllowed} never
 * throw; a refusal is always one of the statuses the servlet promises (400, 403, 405, 426); a request
 * let through can always be answered (its accept key computed).
 */
class HandshakeFuzzTest {
    private static final String[] METHODS = {"GET", "get", "POST", "HEAD", "GET ", ""};
    private static final String[] UPGRADES = {"websocket", "WebSocket", " websocket ", "h2c, websocket", "websocket2", ",", ""};
    private static final String[] CONNECTIONS = {"Upgrade", "keep-alive, Upgrade", "upgrade,", "close", ",,", ""};
    private static final String[] VERSIONS = {"13", " 13 ", "8", "13, 8", "", "１３"};
    private static final String[] ORIGINS = {"http://localhost:8080", "HTTP://LOCALHOST:8080", "http://localhost:80",
        "http://localhost", "https://example.com:443", "https://example.com", "null", "http://[::1]:8080",
        "http://[::1", "http://a b", "ws://x:-1", "http://x:99999999999", "http://user@host:1/path?q#f", "file:///etc",
        "mailto:a@b", "//host", "http://", "http://%zz", "http://xn--bcher-kva.example", "*"};

    /** A header value: absent, one of the plausible ones, or anything. */
    private static String pick(FuzzedDataProvider data, String[] plausible) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1, 2 -> data.pickValue(plausible);
            default -> data.consumeString(80);
        };
    }

    private static String key(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1 -> Base64.getEncoder().encodeToString(data.consumeBytes(16));
            case 2 -> Base64.getEncoder().encodeToString(data.consumeBytes(32)) + data.consumeString(3);
            default -> data.consumeString(40);
        };
    }

    @FuzzTest(maxDuration = "5m")
    void check(FuzzedDataProvider data) {
        String method = pick(data, METHODS);
        String upgrade = pick(data, UPGRADES);
        String connection = pick(data, CONNECTIONS);
        String version = pick(data, VERSIONS);
        String key = key(data);
        String origin = pick(data, ORIGINS);
        String own = data.consumeBoolean() ? "http://localhost:8080" : data.consumeString(40);
        List<String> allowed = new ArrayList<>();
        int n = data.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
            allowed.add(data.consumeBoolean() ? data.pickValue(ORIGINS) : data.consumeString(40));
        }

        Handshake.Refusal refusal = Handshake.check(method, upgrade, connection, version, key, origin, own, allowed);
        if (refusal != null) {
            assertThat(refusal.status()).isIn(400, 403, 405, 426);
            assertThat(refusal.message()).isNotNull();
            assertThat(refusal.header() == null).isEqualTo(refusal.headerValue() == null);
        } else {
            assertThat(method).isEqualTo("GET");
            assertThat(Handshake.hasToken(upgrade, "websocket")).isTrue();
            assertThat(Handshake.hasToken(connection, "upgrade")).isTrue();
            assertThat(Base64.getDecoder().decode(key.trim())).hasSize(16);
            assertThat(Handshake.accept(key)).hasSize(28); // what the servlet sends next; base64 of SHA-1
            if (origin != null) {
                assertThat(Handshake.originAllowed(origin, own, allowed)).isTrue();
            }
        }
    }

    @FuzzTest(maxDuration = "5m")
    void origins(FuzzedDataProvider data) {
        String origin = pick(data, ORIGINS);
        String own = pick(data, ORIGINS);
        List<String> allowed = new ArrayList<>();
        int n = data.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
            allowed.add(pick(data, ORIGINS));
        }
        String normal = Handshake.normalize(origin);
        if (normal != null) {
            assertThat(normal).isEqualTo(normal.toLowerCase(java.util.Locale.ROOT));
            assertThat(Handshake.normalize(normal)).as("normalize(%s) is its own normal form", origin).isEqualTo(normal);
        }
        if (origin == null) {
            return; // check() lets a request without Origin through before asking
        }
        boolean ok = Handshake.originAllowed(origin, own, allowed);
        if (allowed.contains("*")) {
            assertThat(ok).isTrue();
        } else if (normal == null) {
            assertThat(ok).as("an origin that is not one (%s) is never allowed", origin).isFalse();
        } else if (normal.equals(Handshake.normalize(own))) {
            assertThat(ok).as("the server's own origin").isTrue();
        }
    }
}
