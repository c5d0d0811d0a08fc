package io.mailroom.cluster;

import io.mailroom.MailroomApplication;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Nodes of the real application in cluster mode, for tests: each a Spring context on a random
 * port of 127.0.0.1 with two schedulers, all on one redis-server of {@link RedisServer}. The usual
 * case, a Redis and two nodes started together and closed together, is one instance.
 */
public final class TestCluster implements AutoCloseable {
    public final RedisServer redis;
    public final ConfigurableApplicationContext one;
    public final ConfigurableApplicationContext two;
    public final int portOne;
    public final int portTwo;

    private TestCluster(RedisServer redis, ConfigurableApplicationContext one, ConfigurableApplicationContext two) {
        this.redis = redis;
        this.one = one;
        this.two = two;
        this.portOne = port(one);
        this.portTwo = port(two);
    }

    /** A new redis-server and two nodes on it, each with {@code settings} besides the defaults above. */
    public static TestCluster startTwo(String... settings) {
        RedisServer redis = RedisServer.startNew();
        ConfigurableApplicationContext one = null;
        try {
            one = node(redis.url(), settings);
            return new TestCluster(redis, one, node(redis.url(), settings));
        } catch (RuntimeException e) {
            if (one != null) {
                one.close();
            }
            redis.close();
            throw e;
        }
    }

    /** One node on the Redis at {@code redisUrl}, with a 1 s Redis timeout unless {@code settings} say otherwise. */
    public static ConfigurableApplicationContext node(String redisUrl, String... settings) {
        List<String> properties = new ArrayList<>(List.of("server.port=0", "server.address=127.0.0.1",
                "mailroom.cluster.redis.url=" + redisUrl, "mailroom.cluster.redis.timeout=1s",
                "mailroom.scheduler.threads=2"));
        properties.addAll(List.of(settings)); // later entries win
        return new SpringApplicationBuilder(MailroomApplication.class).properties(properties.toArray(String[]::new)).run();
    }

    public static int port(ConfigurableApplicationContext node) {
        return Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
    }

    @Override
    public void close() {
        two.close();
        one.close();
        redis.close();
    }
}
