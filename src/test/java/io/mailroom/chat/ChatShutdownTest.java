package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.MailroomApplication;
import io.mailroom.cluster.ClusterModeRedis;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Spring's graceful stop: every chat socket is closed with 1001 "going away". */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatShutdownTest {

    @Test
    void closingTheContextClosesEverySessionWithGoingAway() {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(MailroomApplication.class)
                .properties(ClusterModeRedis.settings("server.port=0")).run();
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        ChatClient a = ChatClient.welcomed(port, "Ada");
        ChatClient b = ChatClient.welcomed(port, "Bob");
        try {
            a.joined("lobby");
            b.joined("lobby");
            context.close();
            assertThat(a.awaitClose()).isEqualTo(1001);
            assertThat(a.closeReason()).isEqualTo("going away");
            assertThat(b.awaitClose()).isEqualTo(1001);
        } finally {
            a.close();
            b.close();
            context.close();
        }
    }
}
