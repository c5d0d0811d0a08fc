package io.mailroom.loadtest;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.ObjectMapper;

/**
 * The baseline of the WebSocket load benchmark (docs/benchmarks.md): the chat a Spring developer
 * would write without actors. One {@link TextWebSocketHandler}, rooms as concurrent sets of
 * sessions, each session wrapped in a {@link ConcurrentWebSocketSessionDecorator} (5 s send time
 * limit, 1 MiB buffer), a {@code send} broadcast on the container thread that read it. It speaks the
 * subset of protocol.md §1 that the load generator uses: {@code welcome}, {@code join} →
 * {@code joined} + {@code presence}, {@code send} → {@code message} to the others + {@code ack}
 * (with a per-room seq), {@code presence} leave on disconnect. No validation, no history, no limits.
 *
 * <p>Not part of the product: compiled and run only by {@code bench/chat-load.sh}, on the classpath
 * of {@code bench/tomcat/pom.xml} (webmvc and websocket starters) or {@code bench/jetty/pom.xml}
 * (the same with Jetty 12 for Tomcat). Security and actuator are excluded in case they are present,
 * as a plain app would not have them.
 */
@SpringBootApplication(excludeName = {
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
@EnableWebSocket
public class BaselineChatServer implements WebSocketConfigurer {

    public static void main(String[] args) {
        SpringApplication.run(BaselineChatServer.class, args);
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(new ChatHandler(), "/ws/chat").setAllowedOriginPatterns("*");
    }

    static final class ChatHandler extends TextWebSocketHandler {
        private final ObjectMapper json = new ObjectMapper();
        private final Map<String, Set<WebSocketSession>> rooms = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> seqs = new ConcurrentHashMap<>();

        @Override
        public void afterConnectionEstablished(WebSocketSession session) throws Exception {
            WebSocketSession out = new ConcurrentWebSocketSessionDecorator(session, 5000, 1024 * 1024);
            session.getAttributes().put("out", out);
            session.getAttributes().put("rooms", ConcurrentHashMap.newKeySet());
            String user = user(session.getUri());
            session.getAttributes().put("user", user);
            send(out, frame("type", "welcome", "user", user, "session", session.getId()));
        }

        @Override
        @SuppressWarnings("unchecked")
        protected void handleTextMessage(WebSocketSession session, TextMessage message) throws Exception {
            Map<String, Object> in = json.readValue(message.getPayload(), Map.class);
            WebSocketSession out = (WebSocketSession) session.getAttributes().get("out");
            String user = (String) session.getAttributes().get("user");
            String room = (String) in.get("room");
            switch (String.valueOf(in.get("type"))) {
                case "join" -> {
                    Set<WebSocketSession> members = rooms.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet());
                    if (members.add(out)) {
                        ((Set<String>) session.getAttributes().get("rooms")).add(room);
                        broadcast(members, out, frame("type", "presence", "room", room, "event", "join", "user", user));
                    }
                    List<String> names = new ArrayList<>();
                    for (WebSocketSession m : members) {
                        names.add((String) m.getAttributes().get("user"));
                    }
                    names.sort(null);
                    send(out, frame("type", "joined", "room", room, "members", names, "history", List.of()));
                }
                case "send" -> {
                    Set<WebSocketSession> members = rooms.get(room);
                    if (members == null || !members.contains(out)) {
                        send(out, frame("type", "error", "code", "not_joined", "message", "join first"));
                        return;
                    }
                    long seq = seqs.computeIfAbsent(room, r -> new AtomicLong()).incrementAndGet();
                    String ts = Instant.now().toString();
                    broadcast(members, out, frame("type", "message", "room", room, "seq", seq, "from", user,
                            "text", in.get("text"), "ts", ts));
                    Object ref = in.get("ref");
                    send(out, ref == null
                            ? frame("type", "ack", "room", room, "seq", seq, "ts", ts)
                            : frame("type", "ack", "room", room, "ref", ref, "seq", seq, "ts", ts));
                }
                default -> send(out, frame("type", "error", "code", "unknown_type", "message", "unknown type"));
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
            WebSocketSession out = (WebSocketSession) session.getAttributes().get("out");
            String user = (String) session.getAttributes().get("user");
            Set<String> joined = (Set<String>) session.getAttributes().get("rooms");
            if (joined == null) {
                return;
            }
            for (String room : joined) {
                Set<WebSocketSession> members = rooms.get(room);
                if (members != null && members.remove(out)) {
                    broadcast(members, null, frame("type", "presence", "room", room, "event", "leave", "user", user));
                }
            }
        }

        private TextMessage frame(Object... kv) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) {
                m.put((String) kv[i], kv[i + 1]);
            }
            return new TextMessage(json.writeValueAsString(m));
        }

        private static void broadcast(Set<WebSocketSession> members, WebSocketSession except, TextMessage message) {
            for (WebSocketSession m : members) {
                if (m != except) {
                    send(m, message);
                }
            }
        }

        private static void send(WebSocketSession out, TextMessage message) {
            try {
                if (out.isOpen()) {
                    out.sendMessage(message);
                }
            } catch (IOException | RuntimeException e) {
                // a closed or over-limit session: the decorator has closed it
            }
        }

        private static String user(URI uri) {
            return uri == null ? "?" : UriComponentsBuilder.fromUri(uri).build().getQueryParams().getFirst("user");
        }
    }
}
