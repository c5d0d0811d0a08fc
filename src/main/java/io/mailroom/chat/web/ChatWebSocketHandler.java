package io.mailroom.chat.web;

import io.mailroom.chat.ChatContext;
import io.mailroom.chat.ClientFrame;
import io.mailroom.chat.OutFrame;
import io.mailroom.chat.Session;
import io.mailroom.chat.SessionDirectory;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
import org.springframework.web.util.UriComponentsBuilder;
import org.springframework.web.util.UriUtils;

/**
 * {@code /ws/chat}: translates between a WebSocket and its session process, and does nothing else.
 * A connection is admitted (name, resume, session limit) and gets a session process under the
 * {@code sessions} supervisor; each inbound frame is size-checked, decoded once and sent to that
 * process; everything outbound goes through the connection's {@link Outbox}. Partial messages are
 * taken so that a frame of any size is measured without being held whole.
 */
public class ChatWebSocketHandler implements WebSocketHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ChatWebSocketHandler.class);
    private static final String CONNECTION = ChatWebSocketHandler.class.getName() + ".connection";
    private static final String BLOCKING_SEND_TIMEOUT = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT";

    private final ChatContext chat;
    private final String sessionsSupervisor;
    private final Executor blocking;
    private final Set<Outbox> open = ConcurrentHashMap.newKeySet();

    public ChatWebSocketHandler(ChatContext chat, String sessionsSupervisor, Executor blocking) {
        this.chat = chat;
        this.sessionsSupervisor = sessionsSupervisor;
        this.blocking = blocking;
    }

    /** One connection's inbound state, touched by the container one message at a time. */
    private static final class Connection {
        final Outbox out;
        volatile Pid<Session.Msg> session;
        volatile boolean closed;
        boolean refusing;
        StringBuilder text;
        long bytes;
        boolean binary;

        Connection(Outbox out) {
            this.out = out;
        }
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession ws) throws Exception {
        jakarta.websocket.Session nativeSession =
                ((NativeWebSocketSession) ws).getNativeSession(jakarta.websocket.Session.class);
        nativeSession.getUserProperties().put(BLOCKING_SEND_TIMEOUT, chat.settings().sendTimeout().toMillis());
        Outbox out = new Outbox(nativeSession, chat.settings().outboundQueue().toBytes(), chat.metrics(), blocking);
        Connection conn = new Connection(out);
        ws.getAttributes().put(CONNECTION, conn);
        open.add(out);
        out.whenClosed().whenComplete((v, e) -> open.remove(out));

        String user = queryParam(ws.getUri(), "user");
        String resume = queryParam(ws.getUri(), "resume");
        switch (chat.directory().admit(user, resume)) {
            case SessionDirectory.Refused(var code, var message, var closeCode) -> {
                out.send(chat.frames().error(code, message, null));
                out.close(closeCode, code);
            }
            case SessionDirectory.Admitted(var claim) -> startSession(conn, claim);
        }
    }

    private void startSession(Connection conn, SessionDirectory.Claim claim) {
        Pid<Session.Msg> pid = null;
        Optional<Pid<Supervisor.Msg>> supervisor = chat.node().whereis(sessionsSupervisor);
        if (supervisor.isPresent()) {
            try {
                StartResult result = Supervisor.startChild(chat.node(), supervisor.get(),
                                Session.childSpec(claim, conn.out, chat), chat.settings().callTimeout())
                        .get(chat.settings().callTimeout().toMillis() + 100, TimeUnit.MILLISECONDS);
                if (result instanceof StartResult.Started(var started)) {
                    pid = started.narrow();
                }
            } catch (Exception e) {
                LOG.warn("could not start a session for {}: {}", claim.user(), e.toString());
            }
        }
        if (pid == null) {
            chat.directory().release(claim);
            conn.out.close(1011, "session not started");
            return;
        }
        Pid<Session.Msg> session = pid;
        chat.node().whenExited(session).thenAccept(reason -> {
            chat.directory().release(claim);
            conn.out.close(closeCode(reason), closeReason(reason));
        });
        conn.session = session;
        claim.attach(session);
        if (conn.closed) {
            session.send(Session.SocketClosed.INSTANCE);
        }
    }

    /** How the socket of a session that ended is closed, if it is still open (the first close wins). */
    private static int closeCode(ExitReason reason) {
        return switch (reason) {
            case ExitReason.Normal n -> 1000;
            case ExitReason.Shutdown s -> 1001;
            default -> 1011;
        };
    }

    private static String closeReason(ExitReason reason) {
        return switch (reason) {
            case ExitReason.Normal n -> "";
            case ExitReason.Shutdown s -> "going away";
            default -> "internal error";
        };
    }

    @Override
    public void handleMessage(WebSocketSession ws, WebSocketMessage<?> message) {
        Connection conn = (Connection) ws.getAttributes().get(CONNECTION);
        Pid<Session.Msg> session = conn == null ? null : conn.session;
        if (session == null || conn.refusing) {
            return;
        }
        switch (message) {
            case TextMessage text -> onText(conn, session, text.getPayload(), text.isLast());
            case BinaryMessage binary -> onBinary(conn, session, binary.getPayloadLength(), binary.isLast());
            case PongMessage pong -> session.send(Session.Pong.INSTANCE);
            default -> { }
        }
    }

    private void onText(Connection conn, Pid<Session.Msg> session, String part, boolean last) {
        conn.bytes += OutFrame.utf8Length(part);
        if (conn.bytes > chat.settings().maxFrameBytes()) {
            refuse(conn, session, "frame_too_large",
                    "frames are limited to " + chat.settings().maxFrameBytes() + " bytes", 1009);
            return;
        }
        String payload;
        if (last && conn.text == null) {
            payload = part;
        } else {
            if (conn.text == null) {
                conn.text = new StringBuilder(part.length() * 2);
            }
            conn.text.append(part);
            if (!last) {
                return;
            }
            payload = conn.text.toString();
            conn.text = null;
        }
        conn.bytes = 0;
        ClientFrame frame = chat.frames().decode(payload);
        session.send(new Session.Inbound(frame));
    }

    private void onBinary(Connection conn, Pid<Session.Msg> session, int length, boolean last) {
        conn.binary = true;
        conn.bytes += length;
        if (conn.bytes > chat.settings().maxFrameBytes()) {
            refuse(conn, session, "frame_too_large",
                    "frames are limited to " + chat.settings().maxFrameBytes() + " bytes", 1009);
        } else if (last) {
            refuse(conn, session, "unsupported", "binary frames are not supported", 1003);
        }
    }

    /** An error that closes the connection: the session answers it, then closes; later frames are ignored. */
    private static void refuse(Connection conn, Pid<Session.Msg> session, String code, String message, int closeCode) {
        conn.refusing = true;
        conn.text = null;
        session.send(new Session.Inbound(new ClientFrame.Invalid(code, message, null, closeCode)));
    }

    @Override
    public void handleTransportError(WebSocketSession ws, Throwable exception) {
        LOG.debug("transport error on {}: {}", ws.getId(), exception.toString());
    }

    @Override
    public void afterConnectionClosed(WebSocketSession ws, CloseStatus closeStatus) {
        Connection conn = (Connection) ws.getAttributes().get(CONNECTION);
        if (conn == null) {
            return;
        }
        conn.closed = true;
        conn.out.closedByContainer();
        Pid<Session.Msg> session = conn.session;
        if (session != null) {
            session.send(Session.SocketClosed.INSTANCE);
        }
    }

    @Override
    public boolean supportsPartialMessages() {
        return true;
    }

    /** Sockets not closed yet. */
    Set<Outbox> openSockets() {
        return open;
    }

    private static String queryParam(URI uri, String name) {
        if (uri == null) {
            return null;
        }
        try {
            String raw = UriComponentsBuilder.fromUri(uri).build(true).getQueryParams().getFirst(name);
            return raw == null ? null : UriUtils.decode(raw, StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return null; // a malformed query: as if the parameter were missing
        }
    }
}
