package io.mailroom.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.MailroomApplication;
import io.mailroom.counter.CounterService;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.ChildInfo;
import io.mailroom.supervision.Strategy;
import io.mailroom.supervision.Supervisor;
import io.mailroom.supervision.SupervisorReport;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The service's supervision tree: its shape when the context starts, and its orderly end when it closes. */
@Timeout(60)
class ServiceTreeTest {

    private static ConfigurableApplicationContext start(String... args) {
        SpringApplication app = new SpringApplication(MailroomApplication.class);
        String[] all = new String[args.length + 1];
        all[0] = "--server.port=0";
        System.arraycopy(args, 0, all, 1, args.length);
        return app.run(all);
    }

    @Test
    void theRootSupervisesRoomsSessionsAndCountersInThatOrder() {
        try (ConfigurableApplicationContext context = start()) {
            Node node = context.getBean(Node.class);
            Pid<Supervisor.Msg> root = node.<Supervisor.Msg>whereis(ServiceTree.ROOT).orElseThrow();
            SupervisorReport report = Supervisor.report(node, root, 100, Duration.ofSeconds(5)).join();
            assertThat(report.strategy()).isEqualTo(Strategy.ONE_FOR_ONE);
            assertThat(report.maxRestarts()).isEqualTo(3);
            assertThat(report.withinSeconds()).isEqualTo(5);
            assertThat(report.children()).extracting(ChildInfo::id).containsExactly("rooms", "sessions", "counters");
            for (String name : List.of(ServiceTree.ROOMS, ServiceTree.SESSIONS, ServiceTree.COUNTERS)) {
                assertThat(node.whereis(name)).isPresent();
            }
            SupervisorReport counters = Supervisor.report(node,
                    node.<Supervisor.Msg>whereis(ServiceTree.COUNTERS).orElseThrow(), 100, Duration.ofSeconds(5)).join();
            assertThat(counters.maxRestarts()).isEqualTo(100);
            assertThat(counters.withinSeconds()).isEqualTo(10);
        }
    }

    private static Set<Thread> schedulerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("mailroom-scheduler"))
                .collect(Collectors.toSet());
    }

    @Test
    void closingTheContextStopsEveryProcessAndTheSchedulers() {
        Set<Thread> others = schedulerThreads(); // other test contexts' nodes may be running in this JVM
        ConfigurableApplicationContext context = start("--mailroom.scheduler.shutdown-timeout=5s");
        Set<Thread> ours = schedulerThreads();
        ours.removeAll(others);
        assertThat(ours).isNotEmpty();
        Node node = context.getBean(Node.class);
        CounterService counters = context.getBean(CounterService.class);
        for (int i = 0; i < 20; i++) {
            counters.create("c" + i, i);
        }
        // a busy process outside the tree must not hold the shutdown up either
        Pid<String> busy = node.spawn(Behaviors.receive(msg -> {
            long until = System.nanoTime() + 1_000_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return Behaviors.same();
        }));
        for (int i = 0; i < 100_000; i++) {
            busy.send("work");
        }
        context.close();
        assertThat(node.isShutdown()).isTrue();
        assertThat(node.processCount()).isZero();
        assertThat(node.schedulersAlive()).isFalse();
        assertThat(ours).noneMatch(Thread::isAlive);
    }
}
