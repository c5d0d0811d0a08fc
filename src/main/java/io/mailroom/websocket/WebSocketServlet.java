package io.mailroom.websocket;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;

/**
 * A WebSocket path: checks the opening handshake, answers 101 and hands the socket to
 * {@link TomcatUpgradeHandler}; refuses anything else with a plain-text reason (405, 400, 426, or
 * 403 for an origin that is neither the server's own nor allowed).
 */
public final class WebSocketServlet extends HttpServlet {
    private final transient WebSocketTransport transport;
    private final transient WebSocketEndpoint endpoint;

    public WebSocketServlet(WebSocketTransport transport, WebSocketEndpoint endpoint) {
        this.transport = transport;
        this.endpoint = endpoint;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        String key = req.getHeader("Sec-WebSocket-Key");
        Handshake.Refusal refusal = Handshake.check(req.getMethod(), req.getHeader("Upgrade"),
                req.getHeader("Connection"), req.getHeader("Sec-WebSocket-Version"), key,
                req.getHeader("Origin"), ownOrigin(req), transport.settings().allowedOrigins());
        if (refusal != null) {
            resp.setStatus(refusal.status());
            if (refusal.header() != null) {
                resp.setHeader(refusal.header(), refusal.headerValue());
            }
            resp.setContentType("text/plain;charset=UTF-8");
            resp.getOutputStream().write((refusal.message() + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        HandshakeRequest request = new HandshakeRequest(parameters(req), req.getRemoteAddr());
        resp.setHeader("Upgrade", "websocket");
        resp.setHeader("Connection", "Upgrade");
        resp.setHeader("Sec-WebSocket-Accept", Handshake.accept(key));
        TomcatUpgradeHandler handler = req.upgrade(TomcatUpgradeHandler.class);
        handler.prepare(transport, endpoint, request);
    }

    private static String ownOrigin(HttpServletRequest req) {
        String scheme = req.getScheme();
        int port = req.getServerPort();
        return scheme + "://" + req.getServerName() + (port > 0 ? ":" + port : "");
    }

    private static Map<String, String> parameters(HttpServletRequest req) {
        Map<String, String> params = new HashMap<>();
        Enumeration<String> names = req.getParameterNames();
        while (names.hasMoreElements()) {
            String name = names.nextElement();
            String value = req.getParameter(name);
            if (value != null) {
                params.put(name, value);
            }
        }
        return params;
    }
}
