package io.mailroom.observe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code text/event-stream} read over a real socket: a virtual thread reads its lines as they
 * come; {@link #close()} closes the connection, as a browser tab that goes away does.
 */
final class TraceStream implements AutoCloseable {
    static final String EOF = "<<end of stream>>";

    final int status;
    final String contentType;
    private final InputStream body;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> seen = new ArrayList<>();

    private TraceStream(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.contentType = response.headers().firstValue("Content-Type").orElse("");
        this.body = response.body();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // closed by the test
            } finally {
                lines.add(EOF);
            }
        });
    }

    static TraceStream open(HttpClient http, int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(90));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return new TraceStream(http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** Reads lines until one matches, within {@code within}; every line read is kept in {@link #seen}. */
    String await(Predicate<String> line, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            String next = lines.poll(100, TimeUnit.MILLISECONDS);
            if (next == null) {
                continue;
            }
            seen.add(next);
            if (line.test(next)) {
                return next;
            }
            if (next.equals(EOF)) {
                throw new AssertionError("the stream ended without such a line; it said " + seen);
            }
        }
        throw new AssertionError("no such line in " + within + "; the stream said " + seen);
    }

    /** The data line after the next {@code event: name} line. */
    String awaitEvent(String name, Duration within) throws InterruptedException {
        await(l -> l.equals("event:" + name), within);
        return await(l -> l.startsWith("data:"), within).substring("data:".length());
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // gone already
        }
    }
}
