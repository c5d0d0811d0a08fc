package io.mailroom;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Mailroom service: the process runtime, the chat and the counters, served over HTTP. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class MailroomApplication {

    public static void main(String[] args) {
        SpringApplication.run(MailroomApplication.class, args);
    }
}
