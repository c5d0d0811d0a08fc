package io.mailroom.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
            Thread.sleep(300)
            ChatClient.sendMessage(ada, "Hello, from Ada")
            Thread.sleep(500)
            /exit
            """;

    @Test
    void the_shell_runs_the_posts_session() throws Exception {
        seedClassPath();
        ProcessBuilder shell = new ProcessBuilder(List.of("sh", "bin/mailroom-shell"))
                .redirectErrorStream(true);
        shell.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = shell.start();
        try (var in = p.getOutputStream()) {
            in.write(SESSION.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the shell finished").isTrue();
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
