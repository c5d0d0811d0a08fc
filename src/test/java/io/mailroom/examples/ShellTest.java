package io.mailroom.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts jshell with bin/mailroom-shell.jsh, as bin/mailroom-shell does, and runs the post's session. */
class ShellTest {

    @Test
    void the_shell_runs_the_posts_session(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("session.jsh");
        Files.writeString(script, """
                var counter = Counter.start(node)
                System.out.println("pid " + counter)
                counter.send(new Increment())
                counter.send(new Increment())
                counter.send(new Increment())
                counter.send(new Decrement())
                counter.send(new Get(me.narrow()))
                System.out.println("Counter value: " + receive())
                var server = ChatServer.start(node)
                var ada = ChatClient.start(node, server, "Ada")
                Thread.sleep(300)
                ChatClient.sendMessage(ada, "Hello, from Ada")
                Thread.sleep(500)
                /exit
                """);
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        String slf4j = Path.of(org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        String classPath = Path.of("target", "classes").toAbsolutePath() + File.pathSeparator + slf4j;
        Process p = new ProcessBuilder(List.of(jshell.toString(), "-q", "--class-path", classPath,
                "--startup", "DEFAULT", "--startup", Path.of("bin", "mailroom-shell.jsh").toAbsolutePath().toString(),
                script.toString()))
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("jshell finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out)
                .contains("Mailroom shell: node started")
                .containsPattern("pid <0\\.\\d+\\.0>")
                .contains("Counter value: 2")
                .contains("Ada joined the chat")
                .contains("[server] Ada joined the chat")
                .contains("[Ada] Hello, from Ada")
                .doesNotContain("Exception");
    }
}
