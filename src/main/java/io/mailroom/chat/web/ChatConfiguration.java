package io.mailroom.chat.web;

import io.mailroom.chat.ChatContext;
import io.mailroom.chat.ChatMetrics;
import io.mailroom.chat.Frames;
import io.mailroom.chat.NameClaims;
import io.mailroom.chat.RoomOrder;
import io.mailroom.chat.RoomPresence;
import io.mailroom.chat.RoomStore;
import io.mailroom.chat.SessionDirectory;
import io.mailroom.config.ChatProperties;
import io.mailroom.names.SupervisorNames;
import io.mailroom.process.Node;
import io.micrometer.core.instrument.MeterRegistry;
import io.mailroom.websocket.WebSocketServlet;
import io.mailroom.websocket.WebSocketSettings;
import io.mailroom.websocket.WebSocketTransport;
import org.apache.coyote.AbstractProtocol;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.ObjectMapper;

/** The chat's beans and its WebSocket path, {@code /ws/chat}, on Mailroom's own transport ({@code io.mailroom.websocket}). */
@Configuration(proxyBeanMethods = false)
public class ChatConfiguration {
    /** Tomcat's per-socket application buffers (see {@link #chatConnector}). */
    static final int APP_BUFFER = 512;
    /** Connections beyond {@code max-sessions} kept for HTTP (the API, the UI, the actuator). */
    static final int HTTP_HEADROOM = 1024;

    @Bean
    public RoomStore roomStore(ChatProperties properties) {
        return new RoomStore(properties.historySize(), properties.historyBudget().toBytes());
    }

    @Bean
    public SessionDirectory sessionDirectory(ChatProperties properties) {
        return new SessionDirectory(properties.maxSessions());
    }

    @Bean
    public ChatMetrics chatMetrics(MeterRegistry registry, SessionDirectory directory, RoomStore rooms) {
        return new ChatMetrics(registry, directory::count, rooms);
    }

    @Bean
    public ChatContext chatContext(Node node, ObjectMapper json, RoomStore rooms, SessionDirectory directory,
                                   ChatMetrics metrics, ChatProperties properties, ObjectProvider<RoomOrder> order,
                                   ObjectProvider<RoomPresence> presence, ObjectProvider<NameClaims> names) {
        // RoomOrder, RoomPresence and NameClaims beans exist only in cluster mode (io.mailroom.cluster); else
        // null: each room orders itself, its roster is all its members, and the directory holds every name
        return new ChatContext(node, new Frames(json), rooms, directory, metrics, properties, SupervisorNames.ROOMS,
                order.getIfAvailable(), presence.getIfAvailable(), names.getIfAvailable());
    }

    /** The WebSocket transport: every connection's settings, write buffers, closing timer and keep-alive pings. */
    @Bean
    public WebSocketTransport chatTransport(ChatMetrics metrics, ChatProperties properties) {
        ChatProperties chat = properties;
        WebSocketSettings settings = new WebSocketSettings(chat.maxFrameBytes(), chat.outboundQueue().toBytes(),
                chat.writeTimeout(), chat.sendTimeout(), chat.allowedOrigins(), chat.pingInterval());
        return new WebSocketTransport(settings, frame -> metrics.handedOff(frame.originNanos()));
    }

    @Bean
    public ChatEndpoint chatEndpoint(ChatContext chat) {
        return new ChatEndpoint(chat, SupervisorNames.SESSIONS);
    }

    /** {@code /ws/chat}, on the same port and origin as the API and the UI, outside Spring MVC and Security. */
    @Bean
    public ServletRegistrationBean<WebSocketServlet> chatServlet(WebSocketTransport chatTransport, ChatEndpoint endpoint) {
        ServletRegistrationBean<WebSocketServlet> bean =
                new ServletRegistrationBean<>(new WebSocketServlet(chatTransport, endpoint), "/ws/chat");
        bean.setName("chatWebSocket");
        bean.setLoadOnStartup(1);
        return bean;
    }

    @Bean
    public ChatSockets chatSockets(WebSocketTransport chatTransport, ChatProperties properties) {
        return new ChatSockets(chatTransport, properties.sendTimeout());
    }

    /**
     * The connector's sockets. A fixed kernel send buffer per socket: autotuned, the kernel would
     * hold megabytes for a client that stopped reading, unseen by the slow-consumer bound
     * (protocol.md §1 counts only the server's own queue). Small application buffers: Tomcat gives
     * every socket a read and a write buffer for its whole life (8 KiB each by default); an upgraded
     * chat socket reads into a buffer per thread and writes from pooled ones, so these serve only
     * HTTP requests. Tomcat reads and writes past them directly when a request or a response is
     * larger (a static file), so small costs HTTP little and saves 15 KiB per idle chat session. And
     * room for every session plus HTTP: with Tomcat's default of 8,192 connections, below the
     * 10,000 sessions allowed, {@code server_full} could never be said and extra sockets would
     * starve HTTP.
     */
    @Bean
    public WebServerFactoryCustomizer<TomcatServletWebServerFactory> chatConnector(ChatProperties properties) {
        long sendBuffer = properties.socketSendBuffer().toBytes();
        int connections = properties.maxSessions() + HTTP_HEADROOM;
        return factory -> factory.addConnectorCustomizers(connector -> {
            if (sendBuffer > 0) {
                connector.setProperty("socket.txBufSize", String.valueOf(sendBuffer));
            }
            connector.setProperty("socket.appReadBufSize", String.valueOf(APP_BUFFER));
            connector.setProperty("socket.appWriteBufSize", String.valueOf(APP_BUFFER));
            if (connector.getProtocolHandler() instanceof AbstractProtocol<?> protocol
                    && protocol.getMaxConnections() >= 0 && protocol.getMaxConnections() < connections) {
                protocol.setMaxConnections(connections);
            }
        });
    }
}
