package io.mailroom.process;

import io.mailroom.MailroomApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The real application, whose timer thread then ends, as if of a fault its loop could not
 * survive: run in a child JVM by {@code RootGiveUpTest}. It lives in this package because only
 * the runtime's own package can end that thread; nothing else about the app is changed.
 */
public final class TimerThreadDiesApp {
    private TimerThreadDiesApp() {}

    public static void main(String[] args) {
        ConfigurableApplicationContext context = SpringApplication.run(MailroomApplication.class, args);
        Node node = context.getBean(Node.class);
        System.out.println("ending the timer thread");
        node.timers.shutdown();
    }
}
