package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import io.mailroom.testing.Waits;
import java.io.IOException;
import java.net.InetAddress;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * deploy/nginx/nginx.conf, the cluster's front door, run for real by the distribution's nginx in
 * front of two nodes on one redis-server, with only its addresses changed: chat sockets spread over
 * both nodes and talk to each other through it (a browser's Origin accepted, so the Host reaches
 * the node unchanged), and a client's node-local requests (counters) all reach one node. Skipped
 * where nginx is missing, except in CI, where {@code .ci/run} installs it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FrontDoorTest {
    static final Path NGINX = Path.of("/usr/sbin/nginx");
    static final Path CONFIG = Path.of("deploy/nginx/nginx.conf").toAbsolutePath();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static RedisServer redis;
    static ConfigurableApplicationContext one;
    static ConfigurableApplicationContext two;
    static int portOne;
    static int portTwo;
    static int front;
    static Path dir;
    static Process nginx;

    @BeforeAll
    static void startTwoNodesBehindNginx() throws Exception {
        if (!Files.isExecutable(NGINX)) {
            String why = "the front door test needs " + NGINX + " (apt-get install -y nginx-light)";
            if (System.getenv("CI") != null) {
                fail(why + ": missing in CI");
            }
            Assumptions.abort(why + ": skipped");
        }
        redis = RedisServer.startNew();
        one = node();
        two = node();
        portOne = TestCluster.port(one);
        portTwo = TestCluster.port(two);
        front = freePort();
        dir = Files.createTempDirectory("mailroom-nginx-test");
        String config = Files.readString(CONFIG);
        for (String[] swap : new String[][] {
                {"server app1:8080;", "server 127.0.0.1:" + portOne + ";"},
                {"server app2:8080;", "server 127.0.0.1:" + portTwo + ";"},
                {"listen 8080;", "listen 127.0.0.1:" + front + ";"},
                {"/tmp/mailroom-nginx", dir.resolve("nginx").toString()}}) {
            assertThat(config).as("the shipped config has %s", swap[0]).contains(swap[0]);
            config = config.replace(swap[0], swap[1]);
        }
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, config);
        nginx = new ProcessBuilder(NGINX.toString(), "-e", "stderr", "-p", dir.toString(), "-c", file.toString(),
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("nginx.log").toFile()).start();
        Waits.eventually().pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> get("/actuator/health").statusCode() == 200);
    }

    static ConfigurableApplicationContext node() {
        return TestCluster.node(redis.url(), "server.forward-headers-strategy=native");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(20, TimeUnit.SECONDS);
        }
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static HttpResponse<String> request(int port, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return request(front, "GET", path, null);
    }

    @Test
    void chatSocketsSpreadOverBothNodesAndTalkThroughTheFrontDoor() throws Exception {
        String room = "door";
        String origin = "http://127.0.0.1:" + front;
        List<ClusterMetricsTest.Member> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                members.add(ClusterMetricsTest.Member.joined(front, "Door" + i, room, origin));
            }
            // least connections: four sockets held open land two on each node
            assertThat(ClusterMetricsTest.scrape(portOne).value("mailroom_chat_sessions")).isEqualTo(2);
            assertThat(ClusterMetricsTest.scrape(portTwo).value("mailroom_chat_sessions")).isEqualTo(2);

            for (int i = 0; i < members.size(); i++) {
                members.get(i).say(room, "from" + i);
                assertThat(members.get(i).next("ack").get("seq").asLong()).isEqualTo(i + 1);
                for (int j = 0; j < members.size(); j++) {
                    if (j != i) {
                        JsonNode message = members.get(j).next("message");
                        assertThat(message.get("seq").asLong()).isEqualTo(i + 1);
                        assertThat(message.get("text").asString()).isEqualTo("from" + i);
                    }
                }
            }
        } finally {
            members.forEach(ClusterMetricsTest.Member::close);
        }
    }

    @Test
    void aClientsCountersAllReachOneNode() throws Exception {
        assertThat(request(front, "POST", "/api/counters", "{\"name\":\"door\",\"initial\":0}").statusCode()).isEqualTo(201);
        for (int i = 1; i <= 20; i++) {
            HttpResponse<String> r = request(front, "POST", "/api/counters/door/increment", null);
            assertThat(r.statusCode()).as("increment %s through the front door", i).isEqualTo(200);
            assertThat(r.body()).contains("\"value\":" + i);
        }
        // counters are each node's own (protocol.md §5): it exists on exactly one of them
        int onOne = request(portOne, "GET", "/api/counters/door", null).statusCode();
        int onTwo = request(portTwo, "GET", "/api/counters/door", null).statusCode();
        assertThat(List.of(onOne, onTwo)).containsExactlyInAnyOrder(200, 404);
    }

    @Test
    void thePagesAndTheOpenActuatorEndpointsAnswerThroughTheFrontDoor() throws Exception {
        assertThat(get("/dashboard.html").statusCode()).isEqualTo(200);
        assertThat(get("/js/dashboard.js").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(PrometheusText.parse(metrics.body()).value("mailroom_cluster_redis_up")).isEqualTo(1);
        assertThat(get("/api/rooms").statusCode()).isEqualTo(200);
    }
}
