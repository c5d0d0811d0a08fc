package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.Node;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * protocol.md §1 (v1.1): a client that takes no bytes at all for {@code mailroom.chat.write-timeout}
 * while frames wait for it is closed, however little waits. Here with a write timeout of 2 s and far
 * less than the outbound bound waiting.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "mailroom.chat.write-timeout=2s")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatWriteTimeoutTest {
    private static final String BIG = "é€ü".repeat(1331); // 3,993 characters: with a 7-character tag, the 4,000 allowed

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    @Test
    void aClientThatTakesNothingForTheWriteTimeoutIsClosedAndTheOthersCarryOn() throws Exception {
        String room = "stall";
        ChatClient sender = ChatClient.welcomed(port, "Talker");
        RawClient stalled = RawClient.connect(port, "Stalled", 8 * 1024);
        try {
            sender.joined(room);
            stalled.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            await().atMost(ChatClient.WAIT).until(() -> ChatDeliveryTest.count(sender, "presence") == 1);
            // ~370 KB: enough to fill the kernel's buffers both ways, a third of the outbound bound
            int count = 30;
            for (int i = 0; i < count; i++) {
                sender.say(room, i + " " + BIG, null); // 30: within the rate limit's burst of 100
            }
            await().atMost(ChatClient.WAIT).until(() -> ChatDeliveryTest.count(sender, "ack") == count);
            // not closed for being behind: it is below the bound...
            assertThat(node.whereis(Session.processName("Stalled"))).isPresent();
            // ...but closed once it has taken nothing for the write timeout (Tomcat checks about once a second)
            long stalled0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(15)).until(() -> node.whereis(Session.processName("Stalled")).isEmpty());
            System.out.printf("write timeout: the stalled session ended %d ms after the last ack%n",
                    (System.nanoTime() - stalled0) / 1_000_000);
            sender.skipTo(f -> f.get("type").asString().equals("presence") && f.get("event").asString().equals("leave"));
            // the socket is gone: reading what the kernel still held ends in EOF or a reset, not in more data forever
            long bytes = 0;
            try {
                while (true) {
                    RawClient.Frame f = stalled.read();
                    bytes += f.raw().length;
                    if (f.opcode() == 8) {
                        break;
                    }
                }
            } catch (IOException e) {
                // EOF or reset: closed
            }
            assertThat(bytes).as("bytes still delivered after the stall").isLessThan(count * 12_100L);
            // and the chat goes on for the others
            sender.say(room, "still here", "r");
            assertThat(sender.skipTo(f -> f.get("type").asString().equals("ack")).get("ref").asString()).isEqualTo("r");
        } finally {
            sender.close();
            stalled.close();
        }
    }
}
