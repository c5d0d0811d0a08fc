package io.mailroom.chat.web;

import io.mailroom.chat.ChatContext;
import io.mailroom.chat.ClientFrame;
import io.mailroom.chat.NameClaims;
import io.mailroom.chat.Session;
import io.mailroom.chat.SessionDirectory;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.supervision.StartResult;
import io.mailroom.supervision.Supervisor;
import io.mailroom.websocket.HandshakeRequest;
import io.mailroom.websocket.WebSocketConnection;
import io.mailroom.websocket.WebSocketEndpoint;
import io.mailroom.websocket.WebSocketListener;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/chat}: translates between a connection and its session process, and does nothing else.
 * A connection is admitted (name, resume, session limit) and gets a session process under the
 * {@code sessions} supervisor; each inbound message, already size-checked and decoded by the
 * transport, is parsed once and sent to that process; everything outbound is the session's, through
 * the connection's queue.
 */
public class ChatEndpoint implements WebSocketEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);

    private final ChatContext chat;
    private final String sessionsSupervisor;

    public ChatEndpoint(ChatContext chat, String sessionsSupervisor) {
        this.chat = chat;
        this.sessionsSupervisor = sessionsSupervisor;
    }

    @Override
    public WebSocketListener open(WebSocketConnection connection, HandshakeRequest request) {
        ChatSocket socket = new ChatSocket(connection);
        Inbound inbound = new Inbound();
        String user = request.parameter("user");
        String resume = request.parameter("resume");
        // cluster mode: the session claims the name across nodes before it says welcome
        SessionDirectory.Admission admission = chat.names() == null ? chat.directory().admit(user, resume)
                : chat.directory().admitPending(user, resume);
        switch (admission) {
            case SessionDirectory.Refused(var code, var message, var closeCode) -> {
                socket.send(chat.frames().error(code, message, null));
                socket.close(closeCode, code);
            }
            case SessionDirectory.Admitted(var claim) -> startSession(inbound, socket, claim);
        }
        return inbound;
    }

    private void startSession(Inbound inbound, ChatSocket socket, SessionDirectory.Claim claim) {
        Pid<Session.Msg> pid = null;
        Optional<Pid<Supervisor.Msg>> supervisor = chat.node().whereis(sessionsSupervisor);
        if (supervisor.isPresent()) {
            try {
                StartResult result = Supervisor.startChild(chat.node(), supervisor.get(),
                                Session.childSpec(claim, socket, chat), chat.settings().callTimeout())
                        .get(chat.settings().callTimeout().toMillis() + 100, TimeUnit.MILLISECONDS);
                if (result instanceof StartResult.Started(var started)) {
                    pid = started.narrow();
                }
            } catch (Exception e) {
                LOG.warn("could not start a session for {}: {}", claim.user(), e.toString());
            }
        }
        if (pid == null) {
            release(claim);
            socket.close(1011, "session not started");
            return;
        }
        Pid<Session.Msg> session = pid;
        chat.node().whenExited(session).thenAccept(reason -> {
            release(claim);
            socket.close(closeCode(reason), closeReason(reason));
        });
        claim.attach(session);
        inbound.attach(session);
    }

    /** Frees the claim's name here and, in cluster mode, in the store (unless a resume took it over). */
    private void release(SessionDirectory.Claim claim) {
        chat.directory().release(claim);
        NameClaims.Lease lease = claim.lease();
        if (lease != null && !claim.replaced()) {
            chat.names().release(lease);
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

    /**
     * One connection's inbound side: events become session messages. Events come one at a time on
     * a container thread; the session is attached before the first read, or never (a refused
     * admission), in which case events are dropped.
     */
    private final class Inbound implements WebSocketListener {
        private volatile Pid<Session.Msg> session;
        private volatile boolean closed;

        void attach(Pid<Session.Msg> pid) {
            session = pid;
            if (closed) {
                pid.send(Session.SocketClosed.INSTANCE);
            }
        }

        @Override
        public void onText(String text) {
            Pid<Session.Msg> s = session;
            if (s != null) {
                s.send(new Session.Inbound(chat.frames().decode(text)));
            }
        }

        @Override
        public void onPong() {
            // the transport's keep-alive has heard the peer; the session has nothing to do
        }

        @Override
        public void onTooLarge(int limit) {
            refuse("frame_too_large", "frames are limited to " + limit + " bytes", 1009);
        }

        @Override
        public void onBinary() {
            refuse("unsupported", "binary frames are not supported", 1003);
        }

        /** An error that closes the connection: the session answers it, then closes. */
        private void refuse(String code, String message, int closeCode) {
            Pid<Session.Msg> s = session;
            if (s != null) {
                s.send(new Session.Inbound(new ClientFrame.Invalid(code, message, null, closeCode)));
            }
        }

        @Override
        public void onClosed() {
            closed = true;
            Pid<Session.Msg> s = session;
            if (s != null) {
                s.send(Session.SocketClosed.INSTANCE);
            }
        }
    }
}
