package io.mailroom.cluster;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The chat suite in cluster mode (pom.xml, execution {@code chat-in-cluster-mode}): with the system
 * property {@code mailroom.test.cluster-mode=true}, one real redis-server for the whole test JVM,
 * started when the JUnit Platform's launcher session opens and stopped when it closes (registered in
 * {@code META-INF/services}). {@link ClusterModeContextCustomizerFactory} points every Spring test
 * context at it. Without the property this does nothing, and every context is a single node.
 */
public final class ClusterModeRedis implements LauncherSessionListener {
    public static final String PROPERTY = "mailroom.test.cluster-mode";
    private static RedisServer server;

    /** Whether this test JVM runs the chat suite in cluster mode. */
    public static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** The one redis-server of this JVM (started now if the launcher did not: a run from an IDE). */
    public static synchronized RedisServer server() {
        if (!enabled()) {
            throw new IllegalStateException(PROPERTY + " is not set: no cluster mode");
        }
        if (server == null) {
            server = RedisServer.startNew();
        }
        return server;
    }

    /**
     * {@code base} settings for a node the test starts itself (not a Spring test context): in
     * cluster mode with {@code mailroom.cluster.redis.url} on this JVM's redis-server, flushed.
     */
    public static String[] settings(String... base) {
        List<String> out = new ArrayList<>(List.of(base));
        if (enabled()) {
            RedisServer redis = server();
            redis.flushAll();
            out.add("mailroom.cluster.redis.url=" + redis.url());
        }
        return out.toArray(String[]::new);
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (enabled()) {
            server();
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        synchronized (ClusterModeRedis.class) {
            if (server != null) {
                server.close();
                server = null;
            }
        }
    }
}
