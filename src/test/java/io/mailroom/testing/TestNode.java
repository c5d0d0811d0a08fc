package io.mailroom.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fresh {@link io.mailroom.process.Node} for each test, shut down after it ({@link NodeExtension}):
 * ask for a {@code Node} as a constructor or test-method parameter, and for the
 * {@link TestClock} too when {@link #testClock()} is set. After the test the extension fails it if
 * shutdown left a process running or one of the node's threads alive.
 *
 * <p>On a test method it overrides the class's. Classes that need a node of another shape (a
 * pid style, thread names, a crash-report rate, one node for many jqwik tries) start their own.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(NodeExtension.class)
public @interface TestNode {

    /** Scheduler threads; 0 (the default) for {@code NodeConfig.defaults()}'s one per core. */
    int schedulers() default 0;

    /** Whether the node's timers run on a {@link TestClock} that the test advances by hand. */
    boolean testClock() default false;
}
