package io.mailroom.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.chat.SessionDirectory;
import io.mailroom.config.ChatProperties;
import io.mailroom.process.Node;
import io.mailroom.websocket.WebSocketTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The chaos run against the real service (random port, real sockets): CI size by default, any size
 * through {@code chaos.*} system properties ({@code bench/chaos.sh}). Rooms may be killed as often
 * as the driver likes (the rooms supervisor's intensity is raised so that the run tests healing,
 * not escalation, which {@code RestartIntensityTest} covers); rooms store every message, so a
 * member's bitmap can be checked against all of it; catch-up is capped low so that reconnecting
 * clients take the {@code "more":true} REST path too; an empty room stops after a second, so the
 * process table can come back to its baseline.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mailroom.admin.password=" + ChaosTest.PASSWORD,
        "mailroom.rooms.max-restarts=100000000",
        "mailroom.rooms.within-seconds=1",
        "mailroom.chat.history-size=${chaos.history-size:100000}",
        "mailroom.chat.catch-up-limit=${chaos.catch-up-limit:2}",
        "mailroom.chat.room-idle-timeout=1s",
        "logging.level.io.mailroom=${chaos.log-level:WARN}"})
class ChaosTest {
    static final String PASSWORD = "chaos-test-secret";
    /** Heap that may stay after the run besides the stored messages: caches, JIT, pools. */
    private static final long HEAP_MARGIN = 64L << 20;
    /** A stored message's heap, generously (the encoded frame and its bytes). */
    private static final long HEAP_PER_MESSAGE = 2048;
    /** A room log's ring slot (a reference), allocated up front for the whole history size. */
    private static final long HEAP_PER_SLOT = 8;

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Autowired
    SessionDirectory directory;

    @Autowired
    WebSocketTransport transport;

    @Autowired
    ChatProperties chat;

    @Test
    @Timeout(value = 30, unit = java.util.concurrent.TimeUnit.MINUTES) // the long runs of bench/chaos.sh too
    void everyAcknowledgedMessageReachesEveryMemberExactlyOnceInOrderWhileProcessesAndSocketsAreKilled() throws IOException {
        ChaosSettings settings = ChaosSettings.fromSystemProperties();
        ChaosReport report = new ChaosDriver(settings, new ChaosDriver.Server(port, node, directory::count,
                () -> transport.openConnections().size(), PASSWORD)).run();

        String printed = report.toString();
        System.out.println(printed);
        Path out = Path.of(System.getProperty("chaos.report", "target/chaos/report.txt"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, printed);

        assertThat(report.problems()).as(printed).isEmpty();
        assertThat(report.lost()).as("lost").isZero();
        assertThat(report.duplicates()).as("duplicates").isZero();
        assertThat(report.outOfOrder()).as("out of order").isZero();
        assertThat(report.storedGaps()).as("seq gaps in the store").isZero();
        assertThat(report.mismatches()).as("a seq carrying different messages").isZero();
        double expectedKills = settings.killRate() * settings.duration().toSeconds();
        assertThat(report.kills()).as("kills done").isGreaterThanOrEqualTo((long) (expectedKills * 0.5));
        assertThat(report.roomKills()).as("room kills").isPositive();
        assertThat(report.sessionKills()).as("session kills").isPositive();
        assertThat(report.acked()).as("acked messages").isGreaterThan((long) (settings.sendRate() * settings.duration().toSeconds() * 0.5));
        assertThat(report.processesAfter()).as("process table back to its baseline").isEqualTo(report.processesBefore());
        assertThat(report.sessionsAfter()).as("sessions").isEqualTo(report.sessionsBefore());
        assertThat(report.socketsAfter()).as("sockets").isEqualTo(report.socketsBefore());
        assertThat(report.heapAfter()).as("heap after a full GC")
                .isLessThan(report.heapBefore() + HEAP_MARGIN + report.messages() * HEAP_PER_MESSAGE
                        + (long) settings.rooms() * chat.historySize() * HEAP_PER_SLOT);
    }
}
