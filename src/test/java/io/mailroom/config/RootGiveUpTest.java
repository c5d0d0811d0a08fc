package io.mailroom.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The root supervisor's end stops the node (protocol.md §3, v1.1): an orderly Spring shutdown,
 * then exit status 70, so that whatever runs the service starts it again; with
 * {@code mailroom.root.on-give-up=stay} the JVM stays up with health DOWN.
 *
 * <p>A JVM that exits cannot be the test's own, so each case runs the real application in a
 * child JVM (the test's class path, {@code MailroomApplication}, a random port read from its log)
 * and talks to it over HTTP.
 */
@Timeout(300)
class RootGiveUpTest {
    static final String PASSWORD = "give-up-secret";
    static final Duration START_WAIT = Duration.ofSeconds(120);
    static final Duration EXIT_WAIT = Duration.ofSeconds(90);
    static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = JsonMapper.builder().build();
    final List<Process> children = new ArrayList<>();

    @TempDir
    Path dir;

    /** The running child: its process, its port and its log. */
    record Child(Process process, int port, Path log) {
        String logText() throws IOException {
            return Files.readString(log);
        }
    }

    record Answer(int status, String body) {}

    @AfterEach
    void stopChildren() throws InterruptedException {
        for (Process p : children) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    Child start(String... settings) throws Exception {
        return startMain("io.mailroom.MailroomApplication", settings);
    }

    Child startMain(String mainClass, String... settings) throws Exception {
        Path log = dir.resolve("child-" + children.size() + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                mainClass,
                "--server.port=0", "--spring.main.banner-mode=off",
                "--mailroom.admin.password=" + PASSWORD, "--mailroom.scheduler.threads=2"));
        command.addAll(List.of(settings));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        try {
            await().atMost(START_WAIT).pollInterval(Duration.ofMillis(100))
                    .failFast("the child ended before it started", () -> !p.isAlive())
                    .until(() -> PORT.matcher(Files.readString(log)).find());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; its log:\n" + Files.readString(log), e);
        }
        Matcher m = PORT.matcher(Files.readString(log));
        assertThat(m.find()).isTrue();
        return new Child(p, Integer.parseInt(m.group(1)), log);
    }

    Answer send(Child child, String method, String path, String body, boolean admin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + child.port() + path))
                .timeout(Duration.ofSeconds(30));
        if (admin) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    String rootPid(Child child) throws Exception {
        Answer tree = send(child, "GET", "/actuator/supervisors", null, true);
        assertThat(tree.status()).isEqualTo(200);
        JsonNode root = json.readTree(tree.body());
        assertThat(root.get("name").asString()).isEqualTo("root");
        return root.get("pid").asString();
    }

    /** Kills the root as an admin would; the answer may be cut off by the shutdown it starts. */
    void killRoot(Child child) throws Exception {
        String path = "/actuator/processes/" + URLEncoder.encode(rootPid(child), StandardCharsets.UTF_8);
        try {
            assertThat(send(child, "DELETE", path, null, true).status()).isEqualTo(204);
        } catch (IOException cutOff) {
            // the server closed the connection on its way down: the exit status says what happened
        }
    }

    void assertExitsWith70InOrder(Child child) throws Exception {
        boolean ended = child.process().waitFor(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(ended).as("the JVM ended within %s; its log:%n%s", EXIT_WAIT, child.logText()).isTrue();
        assertThat(child.process().exitValue()).as("exit status; log:%n%s", child.logText()).isEqualTo(70);
        String log = child.logText();
        assertThat(log).contains("stopping the service, then the JVM with exit status 70")
                .doesNotContain("halting with exit status");
        // orderly: Spring's graceful shutdown of the web server ran before the exit
        assertThat(log).contains("Commencing graceful shutdown");
    }

    @Test
    void killingTheRootThroughTheActuatorEndsTheJvmWithStatus70() throws Exception {
        Child child = start();
        // Spring reports liveness BROKEN until its started event, a moment after Tomcat's log line
        await().atMost(START_WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> send(child, "GET", "/actuator/health/liveness", null, false).status() == 200);
        killRoot(child);
        assertExitsWith70InOrder(child);
        assertThat(child.logText()).contains("the root supervisor ended (killed)");
    }

    @Test
    void aRuntimeThreadThatDiesEndsTheJvmWithStatus70() throws Exception {
        Child child = startMain("io.mailroom.process.TimerThreadDiesApp");
        assertExitsWith70InOrder(child);
        assertThat(child.logText()).contains("ending the timer thread")
                .contains("the timer thread died: stopping the service");
    }

    @Test
    void aRuntimeThreadThatDiesUnderStayLeavesTheJvmUpAndHealthDown() throws Exception {
        Child child = startMain("io.mailroom.process.TimerThreadDiesApp", "--mailroom.root.on-give-up=stay");
        await().atMost(EXIT_WAIT).pollInterval(Duration.ofMillis(100))
                .failFast("the child ended under stay", () -> !child.process().isAlive())
                .until(() -> child.logText().contains("the timer thread died: staying up with health DOWN"));
        Answer health = send(child, "GET", "/actuator/health", null, true);
        assertThat(health.status()).isEqualTo(503);
        JsonNode details = json.readTree(health.body()).get("components").get("mailroom").get("details");
        assertThat(details.get("timers").asString()).isEqualTo("dead");
        assertThat(details.get("schedulers").asString()).isEqualTo("alive");
        assertThat(send(child, "GET", "/actuator/health/liveness", null, false).status()).isEqualTo(503);
        assertThat(child.process().isAlive()).isTrue();
    }

    @Test
    void aRootThatGivesUpAfterItsIntensityEndsTheJvmWithStatus70() throws Exception {
        // no restart allowed anywhere: one crash makes counters give up, and then the root
        Child child = start("--mailroom.counters.max-restarts=0", "--mailroom.root.max-restarts=0");
        assertThat(send(child, "POST", "/api/counters", "{\"name\":\"doomed\"}", false).status()).isEqualTo(201);
        try {
            assertThat(send(child, "POST", "/api/counters/doomed/crash", null, false).status()).isEqualTo(202);
        } catch (IOException cutOff) {
            // already on its way down
        }
        assertExitsWith70InOrder(child);
        assertThat(child.logText()).contains("supervisor root reached its restart intensity");
    }

    @Test
    void withStayTheJvmStaysUpAndHealthIsDown() throws Exception {
        Child child = start("--mailroom.root.on-give-up=stay");
        killRoot(child);

        Answer health = send(child, "GET", "/actuator/health", null, true);
        assertThat(health.status()).isEqualTo(503);
        JsonNode body = json.readTree(health.body());
        assertThat(body.get("status").asString()).isEqualTo("DOWN");
        assertThat(body.get("components").get("mailroom").get("details").get("root").asString()).isEqualTo("gone");
        assertThat(child.logText()).contains("staying up with health DOWN");
        // the liveness probe carries the mailroom contributor: an orchestrator would restart it
        assertThat(send(child, "GET", "/actuator/health/liveness", null, false).status()).isEqualTo(503);
        assertThat(send(child, "GET", "/actuator/health/readiness", null, false).status()).isEqualTo(200);

        // still up, still answering (and still DOWN) a while later: it did not exit on its own
        assertThat(child.process().waitFor(3, TimeUnit.SECONDS)).isFalse();
        assertThat(send(child, "GET", "/actuator/health", null, false).status()).isEqualTo(503);
        assertThat(child.process().isAlive()).isTrue();
    }
}
