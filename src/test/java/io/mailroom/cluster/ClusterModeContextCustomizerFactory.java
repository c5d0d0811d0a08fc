package io.mailroom.cluster;

import java.util.List;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * In cluster mode ({@link ClusterModeRedis#enabled()}), every Spring test context becomes a node in
 * cluster mode: {@code mailroom.cluster.redis.url} on the JVM's one redis-server, which is flushed
 * first, so a context never meets the rooms, names or presence a context before it left there.
 * (The execution caches one context at a time, {@code spring.test.context.cache.maxSize=1}, so no
 * two contexts are nodes of one cluster at once, apart from the old one's close after the new one's
 * start.) Registered in {@code META-INF/spring.factories}; without the property it adds nothing.
 */
public final class ClusterModeContextCustomizerFactory implements ContextCustomizerFactory {

    @Override
    public ContextCustomizer createContextCustomizer(Class<?> testClass,
                                                     List<ContextConfigurationAttributes> configAttributes) {
        return ClusterModeRedis.enabled() ? new InCluster() : null;
    }

    /** One kind for every context, so it does not split the context cache. */
    private static final class InCluster implements ContextCustomizer {
        @Override
        public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
            RedisServer redis = ClusterModeRedis.server();
            redis.flushAll();
            context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("mailroom-test-cluster-mode",
                    Map.of("mailroom.cluster.redis.url", redis.url())));
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof InCluster;
        }

        @Override
        public int hashCode() {
            return InCluster.class.hashCode();
        }
    }
}
