package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mailroom.config.AdminProperties;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Pid;
import io.mailroom.security.AdminAuthenticationProvider;
import io.mailroom.security.ManagementSecurity;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import tools.jackson.databind.JsonNode;

/** protocol.md §4's access rules, through the real filter chain. */
@ExtendWith(OutputCaptureExtension.class)
class ManagementSecurityTest extends ObserveTestSupport {

    /** Every protected row of §4, and the actuator's index. */
    List<String[]> protectedRequests(Pid<?> pid) {
        return List.of(
                new String[] {"GET", "/actuator/processes?type=supervisor&sort=mailbox&limit=50"},
                new String[] {"GET", processPath(pid)},
                new String[] {"DELETE", processPath(pid)},
                new String[] {"GET", "/actuator/supervisors"},
                new String[] {"GET", "/actuator"});
    }

    @Test
    void healthAndPrometheusAreOpen() {
        Answer health = get("/actuator/health", Auth.NONE);
        assertThat(health.status()).isEqualTo(200);
        assertThat(json.readTree(health.body()).get("status").asString()).isEqualTo("UP");
        Answer prometheus = get("/actuator/prometheus", Auth.NONE);
        assertThat(prometheus.status()).isEqualTo(200);
        assertThat(prometheus.body()).contains("# TYPE mailroom_processes gauge");
    }

    @Test
    void healthShowsItsDetailsOnlyToTheAdmin() {
        JsonNode anonymous = json.readTree(get("/actuator/health", Auth.NONE).body());
        assertThat(anonymous.has("components")).isFalse();
        assertThat(anonymous.has("details")).isFalse();

        JsonNode admin = adminJson("/actuator/health");
        JsonNode mailroom = admin.get("components").get("mailroom");
        assertThat(mailroom.get("status").asString()).isEqualTo("UP");
        assertThat(mailroom.get("details").get("schedulers").asString()).isEqualTo("alive");
        assertThat(mailroom.get("details").get("root").asString()).matches("<0\\.\\d+\\.0>");
    }

    @Test
    void everyOtherEndpointWithoutCredentialsIs401WithBasicChallengeAndNothingElse() {
        Pid<Object> pid = node.spawn(Behaviors.ignore());
        for (String[] r : protectedRequests(pid)) {
            Answer a = send(r[0], r[1], Auth.NONE);
            assertThat(a.status()).as("%s %s", r[0], r[1]).isEqualTo(401);
            assertThat(a.header("WWW-Authenticate")).as("%s %s", r[0], r[1]).startsWith("Basic ");
            assertThat(a.body()).as("%s %s", r[0], r[1]).isEmpty();
            assertThat(a.header("Set-Cookie")).isNull();
        }
        assertThat(pid.isAlive()).as("an unauthenticated DELETE kills nothing").isTrue();
        node.exit(pid, io.mailroom.process.ExitReason.KILL);
    }

    @Test
    void aWrongPasswordIs401AndNothingElse() {
        Pid<Object> pid = node.spawn(Behaviors.ignore());
        for (String[] r : protectedRequests(pid)) {
            Answer a = send(r[0], r[1], Auth.WRONG);
            assertThat(a.status()).as("%s %s", r[0], r[1]).isEqualTo(401);
            assertThat(a.header("WWW-Authenticate")).startsWith("Basic ");
            assertThat(a.body()).isEmpty();
            assertThat(a.header("Set-Cookie")).isNull();
        }
        Answer otherUser = sendAs("GET", "/actuator/supervisors", basic("root", PASSWORD));
        assertThat(otherUser.status()).isEqualTo(401);
        assertThat(pid.isAlive()).as("a DELETE with a wrong password kills nothing").isTrue();
        node.exit(pid, io.mailroom.process.ExitReason.KILL);
    }

    @Test
    void theAdminGetsIn() {
        Pid<Object> pid = node.spawn(Behaviors.ignore());
        for (String[] r : protectedRequests(pid)) {
            Answer a = send(r[0], r[1], Auth.ADMIN);
            assertThat(a.status()).as("%s %s: %s", r[0], r[1], a.body()).isBetween(200, 204);
            assertThat(a.header("Set-Cookie")).as("stateless: no session cookie").isNull();
        }
        assertThat(pid.isAlive()).as("the admin's DELETE killed it").isFalse();
    }

    @Test
    void theRestApiTheChatSocketAndTheUiStayOpenWithoutCsrfTokens() {
        Answer created = send("POST", "/api/counters", Auth.NONE, "{\"name\":\"sec-open\",\"initial\":1}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(send("POST", "/api/counters/sec-open/increment?by=2", Auth.NONE).status()).isEqualTo(200);
        assertThat(send("GET", "/api/counters/sec-open", Auth.NONE).status()).isEqualTo(200);
        assertThat(send("DELETE", "/api/counters/sec-open", Auth.NONE).status()).isEqualTo(204);
        assertThat(created.header("Set-Cookie")).isNull();
        // no WebSocket upgrade here, only that security lets the handshake path through
        assertThat(get("/ws/chat?user=Ada", Auth.NONE).status()).isNotIn(401, 403);
        assertThat(get("/", Auth.NONE).status()).isNotIn(401, 403);
        assertThat(get("/index.html", Auth.NONE).status()).isNotIn(401, 403);
    }

    @Test
    void anUnsetPasswordIsGeneratedAndLoggedOnce(CapturedOutput output) {
        AdminProperties unset = Binder.get(new org.springframework.core.env.StandardEnvironment())
                .bindOrCreate("mailroom.admin", Bindable.of(AdminProperties.class));
        assertThat(unset.password()).isNull();
        AdminAuthenticationProvider admin = new ManagementSecurity().adminAuthentication(unset);

        Matcher logged = Pattern.compile("generated actuator password for user 'admin': (\\S+)").matcher(output.getOut());
        assertThat(logged.find()).as("the password is logged").isTrue();
        String password = logged.group(1);
        assertThat(logged.find()).as("once").isFalse();
        assertThat(password).hasSizeGreaterThanOrEqualTo(20);
        assertThat(admin.authenticate(UsernamePasswordAuthenticationToken.unauthenticated("admin", password))
                .isAuthenticated()).isTrue();
        assertThatThrownBy(() -> admin.authenticate(
                UsernamePasswordAuthenticationToken.unauthenticated("admin", password + "x")))
                .isInstanceOf(BadCredentialsException.class);

        AdminProperties set = new Binder(new MapConfigurationPropertySource(
                java.util.Map.of("mailroom.admin.password", "given")))
                .bindOrCreate("mailroom.admin", Bindable.of(AdminProperties.class));
        assertThat(set.password()).isEqualTo("given");
    }

    Answer sendAs(String method, String path, String authorization) {
        try {
            var r = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", authorization)
                    .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
