package io.mailroom.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which opening handshakes may upgrade (RFC 6455 §4.2.1, and the contract's origin rule, v1.1). */
@Timeout(10)
class HandshakeTest {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String OWN = "http://localhost:8080";
    private static final List<String> ALLOWED = List.of("http://allowed.example");

    /** A valid handshake with one thing changed at a time. */
    private static Handshake.Refusal check(String method, String upgrade, String connection, String version, String key,
                                           String origin) {
        return Handshake.check(method, upgrade, connection, version, key, origin, OWN, ALLOWED);
    }

    private static Handshake.Refusal withOrigin(String origin, String own, List<String> allowed) {
        return Handshake.check("GET", "websocket", "Upgrade", "13", KEY, origin, own, allowed);
    }

    @Test
    void the_accept_key_of_rfc_6455_section_1_3() {
        assertThat(Handshake.accept(KEY)).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void the_accept_key_ignores_white_space_around_the_key() {
        assertThat(Handshake.accept(" " + KEY + " ")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void a_valid_handshake_may_upgrade() {
        assertThat(check("GET", "websocket", "Upgrade", "13", KEY, null)).isNull();
    }

    @Test
    void header_tokens_are_case_insensitive() {
        assertThat(check("GET", "WebSocket", "upgrade", "13", KEY, null)).isNull();
        assertThat(check("GET", "WEBSOCKET", "UPGRADE", " 13 ", KEY, null)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "HEAD", "get"})
    void anything_but_get_is_405_with_allow_get(String method) {
        assertThat(check(method, "websocket", "Upgrade", "13", KEY, null))
                .isEqualTo(new Handshake.Refusal(405, "Allow", "GET", "a WebSocket handshake is a GET"));
    }

    @Test
    void no_upgrade_header_is_426_naming_websocket() {
        Handshake.Refusal r = check("GET", null, "Upgrade", "13", KEY, null);
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.header()).isEqualTo("Upgrade");
        assertThat(r.headerValue()).isEqualTo("websocket");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2c", "", "websockets", "web socket"})
    void an_upgrade_to_something_else_is_426(String upgrade) {
        Handshake.Refusal r = check("GET", upgrade, "Upgrade", "13", KEY, null);
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.header()).isEqualTo("Upgrade");
    }

    @Test
    void an_upgrade_list_that_includes_websocket_is_accepted() {
        assertThat(check("GET", "h2c, websocket", "Upgrade", "13", KEY, null)).isNull();
    }

    @Test
    void a_connection_header_without_the_upgrade_token_is_400() {
        assertThat(check("GET", "websocket", null, "13", KEY, null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "keep-alive", "13", KEY, null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "close", "13", KEY, null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "upgraded", "13", KEY, null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "keep-alive", "13", KEY, null).header()).isNull();
    }

    @Test
    void a_connection_header_listing_upgrade_among_others_is_accepted() {
        assertThat(check("GET", "websocket", "keep-alive, Upgrade", "13", KEY, null)).isNull(); // Firefox sends this
        assertThat(check("GET", "websocket", "Upgrade,keep-alive", "13", KEY, null)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"12", "8", "14", "", "13, 8"})
    void a_version_other_than_13_is_426_with_the_supported_version(String version) {
        assertThat(check("GET", "websocket", "Upgrade", version, KEY, null))
                .isEqualTo(new Handshake.Refusal(426, "Sec-WebSocket-Version", "13", "only WebSocket version 13 is supported"));
    }

    @Test
    void no_version_is_426_with_the_supported_version() {
        Handshake.Refusal r = check("GET", "websocket", "Upgrade", null, KEY, null);
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.header()).isEqualTo("Sec-WebSocket-Version");
        assertThat(r.headerValue()).isEqualTo("13");
    }

    @Test
    void a_key_that_is_not_base64_is_400() {
        assertThat(check("GET", "websocket", "Upgrade", "13", "not base64!!", null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=!", null).status()).isEqualTo(400);
    }

    @Test
    void a_key_of_other_than_16_bytes_is_400() {
        Base64.Encoder b64 = Base64.getEncoder();
        assertThat(check("GET", "websocket", "Upgrade", "13", b64.encodeToString(new byte[15]), null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "13", b64.encodeToString(new byte[17]), null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "13", "", null).status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "13", b64.encodeToString(new byte[16]), null)).isNull();
    }

    @Test
    void no_key_is_400() {
        Handshake.Refusal r = check("GET", "websocket", "Upgrade", "13", null, null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header()).isNull();
    }

    @Test
    void when_several_rules_are_broken_the_first_in_order_decides() {
        assertThat(check("POST", null, null, "12", "bad", "http://evil.example").status()).isEqualTo(405);
        assertThat(check("GET", null, null, "12", "bad", "http://evil.example").status()).isEqualTo(426);
        assertThat(check("GET", "websocket", null, "12", "bad", "http://evil.example").status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "12", "bad", "http://evil.example").header())
                .isEqualTo("Sec-WebSocket-Version");
        assertThat(check("GET", "websocket", "Upgrade", "13", "bad", "http://evil.example").status()).isEqualTo(400);
        assertThat(check("GET", "websocket", "Upgrade", "13", KEY, "http://evil.example").status()).isEqualTo(403);
    }

    // ---- origins

    @Test
    void no_origin_is_allowed() {
        assertThat(withOrigin(null, OWN, List.of())).isNull();
    }

    @Test
    void the_servers_own_origin_is_allowed() {
        assertThat(withOrigin("http://localhost:8080", OWN, List.of())).isNull();
    }

    @Test
    void the_own_origin_compares_scheme_and_host_case_insensitively() {
        assertThat(withOrigin("HTTP://LocalHost:8080", OWN, List.of())).isNull();
        assertThat(withOrigin("http://chat.example:8080", "http://CHAT.Example:8080", List.of())).isNull();
    }

    @Test
    void default_ports_are_the_same_origin_as_no_port() {
        assertThat(withOrigin("http://chat.example", "http://chat.example:80", List.of())).isNull();
        assertThat(withOrigin("http://chat.example:80", "http://chat.example", List.of())).isNull();
        assertThat(withOrigin("https://chat.example", "https://chat.example:443", List.of())).isNull();
        assertThat(withOrigin("https://chat.example:443", "https://chat.example", List.of())).isNull();
    }

    @Test
    void a_default_port_of_the_other_scheme_is_not_normalised_away() {
        assertThat(withOrigin("http://chat.example:443", "http://chat.example", List.of()).status()).isEqualTo(403);
        assertThat(withOrigin("https://chat.example:80", "https://chat.example:443", List.of()).status()).isEqualTo(403);
    }

    @Test
    void another_host_is_403() {
        Handshake.Refusal r = withOrigin("http://evil.example:8080", OWN, ALLOWED);
        assertThat(r).isEqualTo(new Handshake.Refusal(403, null, null, "origin not allowed: http://evil.example:8080"));
    }

    @Test
    void a_host_that_merely_contains_ours_is_403() {
        assertThat(withOrigin("http://localhost.evil.example:8080", OWN, List.of()).status()).isEqualTo(403);
        assertThat(withOrigin("http://evil-localhost:8080", OWN, List.of()).status()).isEqualTo(403);
    }

    @Test
    void another_port_is_403() {
        assertThat(withOrigin("http://localhost:8081", OWN, ALLOWED).status()).isEqualTo(403);
        assertThat(withOrigin("http://localhost", OWN, ALLOWED).status()).isEqualTo(403);
    }

    @Test
    void another_scheme_is_403() {
        assertThat(withOrigin("https://localhost:8080", OWN, ALLOWED).status()).isEqualTo(403);
        assertThat(withOrigin("https://chat.example", "http://chat.example:80", List.of()).status()).isEqualTo(403);
    }

    @Test
    void the_opaque_null_origin_is_403() {
        assertThat(withOrigin("null", OWN, ALLOWED).status()).isEqualTo(403);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "localhost:8080", "not an origin", "http://", "file:///etc/passwd"})
    void something_that_is_not_an_origin_is_403(String origin) {
        assertThat(withOrigin(origin, OWN, ALLOWED).status()).isEqualTo(403);
    }

    @Test
    void an_origin_in_the_allowed_list_is_allowed_normalised_like_the_own_one() {
        assertThat(withOrigin("http://allowed.example", OWN, ALLOWED)).isNull();
        assertThat(withOrigin("http://ALLOWED.example:80", OWN, ALLOWED)).isNull();
        assertThat(withOrigin("https://allowed.example", OWN, ALLOWED).status()).isEqualTo(403);
        assertThat(withOrigin("http://allowed.example:8080", OWN, ALLOWED).status()).isEqualTo(403);
    }

    @Test
    void any_entry_of_the_allowed_list_allows() {
        List<String> allowed = List.of("http://one.example", "https://two.example:8443");
        assertThat(withOrigin("http://one.example", OWN, allowed)).isNull();
        assertThat(withOrigin("https://two.example:8443", OWN, allowed)).isNull();
        assertThat(withOrigin("https://two.example", OWN, allowed).status()).isEqualTo(403);
    }

    @Test
    void a_star_in_the_allowed_list_allows_any_site() {
        List<String> any = List.of("*");
        assertThat(withOrigin("http://evil.example", OWN, any)).isNull();
        assertThat(withOrigin("https://anything.example:9999", OWN, any)).isNull();
    }

    /**
     * {@code *} allows any site, and the opaque origin {@code null} (a sandboxed frame, a file) names
     * none, so it stays refused: the implementation's choice, written down here.
     */
    @Test
    void a_star_allows_any_origin_even_the_opaque_null_one() {
        assertThat(withOrigin("null", OWN, List.of("*"))).isNull();
    }
}
