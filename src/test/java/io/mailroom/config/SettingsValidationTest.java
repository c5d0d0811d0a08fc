package io.mailroom.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mailroom.MailroomApplication;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The settings are checked as the context starts: a value that makes no sense (a negative thread
 * count, no sessions at all, a zero timeout) stops start-up with a message that names the property
 * and says what it must be, instead of meaning something else silently.
 */
@Timeout(120)
class SettingsValidationTest {

    private static Throwable startWith(String... args) {
        List<String> all = new ArrayList<>(List.of("--server.port=0"));
        all.addAll(List.of(args));
        return catchThrowable(() -> {
            try (ConfigurableApplicationContext context = new SpringApplication(MailroomApplication.class)
                    .run(all.toArray(String[]::new))) {
                context.getBean(SchedulerProperties.class); // started: the value was accepted
            }
        });
    }

    /** Every message down the cause chain: Spring Boot's bind failure names the property, the validator's reason follows. */
    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.add(t);
        }
        return all;
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "mailroom.scheduler.threads, -1, must be greater than or equal to 0",
        "mailroom.scheduler.message-budget, 0, must be greater than 0",
        "mailroom.chat.max-sessions, -5, must be greater than 0",
        "mailroom.chat.rate.capacity, 0, must be greater than 0",
        "mailroom.counters.call-timeout, 0s, must be longer than or equal to",
        "mailroom.rooms.within-seconds, 0, must be greater than 0",
        "mailroom.cluster.presence-ttl, 100ms, must be longer than or equal to",
        "mailroom.cluster.name-lease, 100ms, must be longer than or equal to",
    })
    void aBadValueStopsStartUpNamingTheProperty(String property, String value, String reason) {
        Throwable failure = startWith("--" + property + "=" + value);

        assertThat(failure).isNotNull();
        assertThat(causes(failure)).as("refused by the validator").hasAtLeastOneElementOfType(BindValidationException.class);
        // the property (as written, or in the binder's camel case for a nested one) and what it must be
        String camel = java.util.regex.Pattern.compile("-([a-z])").matcher(property).replaceAll(m -> m.group(1).toUpperCase());
        assertThat(messages(failure)).containsAnyOf(property, camel).contains(reason);
    }

    @Test
    void theDefaultsAndTheEdgesTheDocsAllowStartUp() {
        // 0 threads is one per core, a crash rate of 0 turns the limit off, 0 restarts is allowed
        assertThat(startWith("--mailroom.scheduler.threads=0", "--mailroom.counters.crash-rate=0",
                "--mailroom.root.max-restarts=0")).isNull();
    }
}
