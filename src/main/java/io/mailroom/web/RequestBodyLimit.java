package io.mailroom.web;

import io.mailroom.config.HttpProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Request bodies of at most {@code mailroom.http.max-body} bytes (64 KB by default; every JSON body
 * of the API is well under 1 KB). A larger declared {@code Content-Length} is answered 413
 * problem+json at once, before a byte of the body is read; Tomcat then closes the connection (it
 * does after every 413) instead of draining the rest. A chunked body, whose size is not declared,
 * is read through a stream that fails with {@link BodyTooLargeException} once past the limit,
 * which {@link ApiExceptionHandler} answers 413: so at most the limit (plus one read buffer) is
 * ever held, whatever the client sends.
 *
 * <p>After {@link SecurityHeaders}, so a 413 carries the same headers as every other answer.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class RequestBodyLimit extends OncePerRequestFilter {
    private final long maxBytes;

    public RequestBodyLimit(HttpProperties http) {
        this.maxBytes = http.maxBody().toBytes();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            Problems.write(response, HttpStatus.CONTENT_TOO_LARGE, "the request body is " + declared
                    + " bytes; at most " + maxBytes + " are accepted", request.getRequestURI(), null);
            return;
        }
        // no Content-Length and a Transfer-Encoding: chunked, of a size nobody said
        boolean undeclared = declared < 0 && request.getHeader("Transfer-Encoding") != null;
        chain.doFilter(undeclared ? new CappedRequest(request, maxBytes) : request, response);
    }

    /** A body larger than the limit, found while reading it. */
    public static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(long maxBytes) {
            super("the request body is larger than " + maxBytes + " bytes");
        }
    }

    /** The request with its body read through a {@link CappedStream}. */
    private static final class CappedRequest extends HttpServletRequestWrapper {
        private final long maxBytes;
        private ServletInputStream body;

        CappedRequest(HttpServletRequest request, long maxBytes) {
            super(request);
            this.maxBytes = maxBytes;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (body == null) {
                body = new CappedStream(super.getInputStream(), maxBytes);
            }
            return body;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }

    /** Counts what is read, and fails once it passes the limit. */
    private static final class CappedStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long maxBytes;
        private long read;

        CappedStream(ServletInputStream in, long maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws BodyTooLargeException {
            read += n;
            if (read > maxBytes) {
                throw new BodyTooLargeException(maxBytes);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
