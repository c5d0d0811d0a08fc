package io.mailroom.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The limits on one HTTP request (issue 11), through the real Tomcat: a body past
 * {@code mailroom.http.max-body}, declared or chunked, is 413 problem+json and never read whole; a
 * huge header or path gets Tomcat's 400, as problem+json; and the service answers normally after each.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(120)
class RequestLimitsTest {
    static final int TEN_MB = 10 * 1024 * 1024;
    static final long MAX_BODY = 64 * 1024;

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    HttpRequest.Builder to(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    }

    /** The service still answers: a counter is created, read and deleted. */
    void stillServes(String name) {
        HttpResponse<String> created = send(to("/api/counters").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"initial\":7}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json.readTree(send(to("/api/counters/" + name)).body()).get("value").asLong()).isEqualTo(7);
        assertThat(send(to("/api/counters/" + name).DELETE()).statusCode()).isEqualTo(204);
    }

    void assertProblem(HttpResponse<String> answer, int status) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = json.readTree(answer.body());
        assertThat(problem.get("status").asInt()).isEqualTo(status);
    }

    @Test
    void aBodyJustUnderTheLimitIsReadAsUsual() {
        String padding = " ".repeat((int) MAX_BODY - 40);
        HttpResponse<String> created = send(to("/api/counters").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"limit-under\"}" + padding)));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(send(to("/api/counters/limit-under").DELETE()).statusCode()).isEqualTo(204);
    }

    @Test
    void aDeclaredTenMegabyteBodyIs413Unread() {
        byte[] body = new byte[TEN_MB];
        Arrays.fill(body, (byte) ' ');
        HttpResponse<String> answer = send(to("/api/counters").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertProblem(answer, 413);
        assertThat(json.readTree(answer.body()).get("detail").asString())
                .isEqualTo("the request body is " + TEN_MB + " bytes; at most " + MAX_BODY + " are accepted");
        stillServes("limit-declared");
    }

    @Test
    void aChunkedTenMegabyteBodyIs413AfterTheLimit() {
        // ofInputStream has no length, so the client sends it chunked
        HttpResponse<String> answer = send(to("/api/counters").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Spaces(TEN_MB))));
        assertProblem(answer, 413);
        assertThat(json.readTree(answer.body()).get("detail").asString())
                .isEqualTo("the request body is larger than " + MAX_BODY + " bytes");
        stillServes("limit-chunked");
    }

    @Test
    void aHugeHeaderIsRefusedByTomcat() throws IOException {
        String answer = raw("GET /api/counters HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(64 * 1024)
                + "\r\nConnection: close\r\n\r\n");
        assertTomcatProblem(answer);
        stillServes("limit-header");
    }

    @Test
    void aHugePathIsRefusedByTomcat() throws IOException {
        String answer = raw("GET /api/counters/" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n");
        assertTomcatProblem(answer);
        stillServes("limit-path");
    }

    /**
     * Tomcat refuses the request before the application sees it: 400 (it has no 414 or 431), the
     * connection closed, and a problem+json body from {@link ProblemErrorReportValve} instead of
     * Tomcat's HTML page.
     */
    void assertTomcatProblem(String answer) {
        int end = answer.indexOf("\r\n\r\n");
        assertThat(end).as(answer).isPositive();
        String head = answer.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        assertThat(head).startsWith("http/1.1 400 ").contains("\r\nconnection: close")
                .contains("\r\ncontent-type: application/problem+json");
        JsonNode problem = json.readTree(answer.substring(end + 4));
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").asString()).contains("larger than the server accepts");
    }

    /** Sends {@code request} on a socket of its own and reads the answer until the server closes. */
    String raw(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException refusedMidway) {
                // the server may answer and close before the whole request is written
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (IOException reset) {
                // a reset after the answer: what was read is the answer
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    /** {@code size} spaces, made as they are read. */
    static final class Spaces extends InputStream {
        private long left;

        Spaces(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            return left-- > 0 ? ' ' : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) ' ');
            left -= n;
            return n;
        }
    }
}
