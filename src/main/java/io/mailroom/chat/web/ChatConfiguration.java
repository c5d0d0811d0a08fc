package io.mailroom.chat.web;

import io.mailroom.chat.ChatContext;
import io.mailroom.chat.ChatMetrics;
import io.mailroom.chat.Frames;
import io.mailroom.chat.RoomStore;
import io.mailroom.chat.SessionDirectory;
import io.mailroom.config.MailroomProperties;
import io.mailroom.config.ServiceTree;
import io.mailroom.process.Node;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import tools.jackson.databind.ObjectMapper;

/** The chat's beans and its WebSocket endpoint, {@code /ws/chat}. */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class ChatConfiguration implements WebSocketConfigurer {
    private final ObjectProvider<ChatWebSocketHandler> handler;

    public ChatConfiguration(ObjectProvider<ChatWebSocketHandler> handler) {
        this.handler = handler;
    }

    @Bean
    public RoomStore roomStore(MailroomProperties properties) {
        return new RoomStore(properties.chat().historySize());
    }

    @Bean
    public SessionDirectory sessionDirectory(MailroomProperties properties) {
        return new SessionDirectory(properties.chat().maxSessions());
    }

    @Bean
    public ChatMetrics chatMetrics(MeterRegistry registry, SessionDirectory directory) {
        return new ChatMetrics(registry, directory::count);
    }

    @Bean
    public ChatContext chatContext(Node node, ObjectMapper json, RoomStore rooms, SessionDirectory directory,
                                   ChatMetrics metrics, MailroomProperties properties) {
        return new ChatContext(node, new Frames(json), rooms, directory, metrics, properties.chat(), ServiceTree.ROOMS);
    }

    /** Where the WebSocket API's blocking calls (ping, close) run: never on a scheduler thread. */
    @Bean(destroyMethod = "shutdownNow")
    public ExecutorService chatSocketExecutor() {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("chat-socket-", 0).factory());
    }

    @Bean
    public ChatWebSocketHandler chatWebSocketHandler(ChatContext chat, ExecutorService chatSocketExecutor) {
        return new ChatWebSocketHandler(chat, ServiceTree.SESSIONS, chatSocketExecutor);
    }

    @Bean
    public ChatSockets chatSockets(ChatWebSocketHandler handler, MailroomProperties properties) {
        return new ChatSockets(handler, properties.chat().sendTimeout());
    }

    /**
     * A fixed kernel send buffer per socket: autotuned, the kernel would hold megabytes for a
     * client that stopped reading, unseen by the slow-consumer bound (protocol.md §1 counts only
     * the server's own queue).
     */
    @Bean
    public WebServerFactoryCustomizer<TomcatServletWebServerFactory> chatSocketBuffers(MailroomProperties properties) {
        long bytes = properties.chat().socketSendBuffer().toBytes();
        return factory -> {
            if (bytes > 0) {
                factory.addConnectorCustomizers(connector ->
                        connector.setProperty("socket.txBufSize", String.valueOf(bytes)));
            }
        };
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(handler.getObject(), "/ws/chat").setAllowedOriginPatterns("*");
    }
}
