package io.mailroom.testing;

import io.mailroom.process.Node;
import io.mailroom.process.NodeConfig;
import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link TestNode}: one {@link Node} per test, started when the test (its
 * constructor, or the method) first asks for it and shut down after the test, whatever its outcome.
 *
 * <p>Each node's threads get a name of their own ({@code mailroom-scheduler-t7-0}…,
 * {@code mailroom-scheduler-t7-timers}), so the check after shutdown (every process ended, no
 * thread of the node alive) cannot be fooled by another test's node.
 */
public final class NodeExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NodeExtension.class);
    private static final Duration SHUTDOWN = Duration.ofSeconds(10);
    private static final AtomicInteger NODES = new AtomicInteger();

    /** The test's node and its clock (null on the system clock). */
    private record Started(Node node, TestClock clock, String threadPrefix) {}

    /** Constructor parameters are resolved in the test method's context, so a node per test instance is a node per test. */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Node.class || type == TestClock.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("@TestNode gives a node per test: ask for it in the test's"
                    + " constructor or method (with the default per-method test instances), not in a class-level callback");
        }
        Started started = started(context);
        if (parameter.getParameter().getType() == Node.class) {
            return started.node();
        }
        if (started.clock() == null) {
            throw new ParameterResolutionException("a TestClock is there only with @TestNode(testClock = true)");
        }
        return started.clock();
    }

    private static Started started(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        Started started = store.get(Started.class, Started.class);
        if (started == null) {
            TestNode shape = shape(context);
            TestClock clock = shape.testClock() ? new TestClock() : null;
            String prefix = "mailroom-scheduler-t" + NODES.incrementAndGet();
            NodeConfig config = NodeConfig.defaults().withThreadPrefix(prefix);
            if (shape.schedulers() > 0) {
                config = config.withSchedulers(shape.schedulers());
            }
            if (clock != null) {
                config = config.withClock(clock);
            }
            started = new Started(Node.start(config), clock, prefix);
            store.put(Started.class, started);
        }
        return started;
    }

    /** The nearest {@link TestNode}: the method's, else its class's, else an enclosing class's. */
    private static TestNode shape(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Optional<AnnotatedElement> element = c.get().getElement();
            if (element.isPresent()) {
                Optional<TestNode> found = AnnotationSupport.findAnnotation(element.get(), TestNode.class);
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("NodeExtension without @TestNode: annotate the class or the method");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Started started = context.getStore(NS).remove(Started.class, Started.class);
        if (started == null) {
            return; // the test never asked for its node
        }
        Node node = started.node();
        node.shutdown(SHUTDOWN);
        int processes = node.processCount();
        List<String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(started.threadPrefix() + "-"))
                .map(Thread::getName)
                .sorted()
                .toList();
        if (processes > 0 || !threads.isEmpty()) {
            throw new AssertionError("the test's node did not shut down cleanly in " + SHUTDOWN + ": " + processes
                    + " processes still running, threads still alive: " + threads);
        }
        if (started.clock() != null && started.clock().followers() > 0) {
            throw new AssertionError("the node shut down but its timer thread still follows the test clock");
        }
    }
}
