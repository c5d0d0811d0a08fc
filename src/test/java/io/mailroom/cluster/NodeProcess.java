package io.mailroom.cluster;

import io.mailroom.MailroomApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A node of the real application in a JVM of its own, started from this test JVM's class path, so
 * that a test can kill it as the kernel kills a process: {@link #kill()} is SIGKILL, after which
 * nothing of the node runs, no shutdown hook, no close, no last write to Redis. Its output goes to
 * {@code target/node-<port>.log}.
 */
public final class NodeProcess implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(90);
    private final Process process;
    public final int port;
    public final Path log;

    private NodeProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts a node on a free port of 127.0.0.1 with {@code settings} and waits until it answers HTTP. */
    public static NodeProcess start(String... settings) {
        int port = freePort();
        Path log = Path.of("target", "node-" + port + ".log").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                MailroomApplication.class.getName(),
                "--server.port=" + port, "--server.address=127.0.0.1", "--mailroom.scheduler.threads=2"));
        for (String s : settings) {
            command.add("--" + s);
        }
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            NodeProcess node = new NodeProcess(process, port, log);
            node.awaitUp();
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitUp() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            Awaitility.await("node on :" + port + " up (log " + log + ")").atMost(START)
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("the node exited while starting; see " + log, () -> !process.isAlive())
                    .until(() -> http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        } catch (RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL, and waits until the process is gone; its exit code (137 for a kill). */
    public int kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("pid " + process.pid() + " still alive 30 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
