package io.mailroom.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Types the post's session (docs/from-elixir.md) into {@code bin/mailroom-shell}, as a reader would,
 * and checks what the shell prints: IEx-style pids, the counter's value, and the chat's lines.
 */
class ShellTest {

    private static final String SESSION = """
            var counter = Counter.start(node)
            counter.send(new Increment())
            counter.send(new Increment())
            counter.send(new Increment())
            counter.send(new Decrement())
            counter.send(new Get(me.narrow()))
            receive()
            var server = ChatServer.start(node)
            var ada = ChatClient.start(node, server, "Ada")
            ChatClient.sendMessage(ada, "Hello, from Ada")
            """;

    @Test
    void the_shell_runs_the_posts_session() throws Exception {
        seedClassPath();
        ProcessBuilder shell = new ProcessBuilder(List.of("sh", "bin/mailroom-shell"))
                .redirectErrorStream(true);
        shell.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = shell.start();
        StringBuffer printed = new StringBuffer();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (var from = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
                char[] chunk = new char[4096];
                for (int n; (n = from.read(chunk)) >= 0; ) {
                    printed.append(chunk, 0, n);
                }
            } catch (IOException e) {
                printed.append("[reading the shell failed: ").append(e).append(']');
            }
        });
        try (var in = p.getOutputStream()) {
            in.write(SESSION.getBytes(StandardCharsets.UTF_8));
            in.flush();
            // as a reader would: /exit once the chat's last line has been printed, not after a guessed pause
            await().atMost(Duration.ofSeconds(120)).until(() -> printed.indexOf("[Ada] Hello, from Ada") >= 0);
            in.write("/exit\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the shell finished").isTrue();
        reader.join(Duration.ofSeconds(10));
        String out = printed.toString();
        assertThat(out)
                .contains("Mailroom shell: node started")
                .containsPattern("counter ==> #PID<0\\.\\d+\\.0>")
                .containsPattern("\\$\\d+ ==> 2\\b")
                .contains("Ada joined the chat")
                .contains("[server] Ada joined the chat")
                .contains("[Ada] Hello, from Ada")
                .doesNotContain("Exception")
                .doesNotContain("Error:");
    }

    /**
     * The wrapper asks Maven for the class path the first time; the test runs inside Maven, so it
     * writes the same one-line file (the slf4j API jar) instead of starting a nested build.
     */
    private static void seedClassPath() throws Exception {
        Path file = Path.of("target", "shell.classpath");
        if (!Files.exists(file) || Files.size(file) == 0) {
            String slf4j = Path.of(org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI()).toString();
            Files.writeString(file, slf4j + "\n");
        }
    }
}
