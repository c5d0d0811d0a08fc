package io.mailroom.config;

import io.mailroom.process.Node;
import java.time.Duration;
import org.springframework.beans.factory.DisposableBean;

/** Shuts the node down when the context closes, after the beans that use it. */
public class NodeLifecycle implements DisposableBean {
    private final Node node;
    private final Duration timeout;

    public NodeLifecycle(Node node, Duration timeout) {
        this.node = node;
        this.timeout = timeout;
    }

    @Override
    public void destroy() {
        node.shutdown(timeout);
    }
}
