package io.mailroom.chat;

import io.mailroom.process.Pid;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Who is connected: each live name (unique case-insensitively) with its session token, and the
 * session count that {@code server_full} is judged by. Admission is atomic: two connections
 * racing for one name, or one token, get one winner. Thread-safe, non-blocking.
 */
public final class SessionDirectory {
    /** 1–32 characters of {@code A-Z a-z 0-9 _ . -}. */
    public static final Pattern NAME = Pattern.compile("^[A-Za-z0-9_.-]{1,32}$");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicLong serials = new AtomicLong();
    private final int maxSessions;

    public SessionDirectory(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /** A name held by one session, with the token that lets a reconnect take it over. */
    public static final class Claim {
        private final String user;
        private final String key;
        private final String token;
        private final long serial;
        private volatile Pid<Session.Msg> pid;
        private volatile boolean replaced;

        Claim(String user, String key, String token, long serial) {
            this.user = user;
            this.key = key;
            this.token = token;
            this.serial = serial;
        }

        public String user() {
            return user;
        }

        /**
         * Rises with every claim made: of two sessions of one name, the later claim is the one a
         * resume put in place. Rooms go by it, so a late request of the replaced session cannot
         * push its successor out.
         */
        public long serial() {
            return serial;
        }

        public String token() {
            return token;
        }

        /** Attaches the session process; tells it to go at once if it was replaced meanwhile. */
        public void attach(Pid<Session.Msg> session) {
            this.pid = session;
            if (replaced) {
                session.send(Session.Replaced.INSTANCE);
            }
        }

        /** A resume took this name over: the session closes its socket (4000) and ends. */
        void replace() {
            replaced = true;
            Pid<Session.Msg> p = pid;
            if (p != null) {
                p.send(Session.Replaced.INSTANCE);
            }
        }
    }

    /** The answer to a connection. */
    public sealed interface Admission {}

    /** Welcome: {@code claim} holds the name now. */
    public record Admitted(Claim claim) implements Admission {}

    /** Refused: send {@code error} with {@code code}, then close with {@code closeCode}. */
    public record Refused(String code, String message, int closeCode) implements Admission {}

    /**
     * Admits a connection for {@code user}, resuming (taking over) the live session of that name
     * when {@code resume} is its token. Checks in the contract's order: the name, a live holder,
     * then the session limit (a takeover frees a session, so it is not refused for the limit).
     */
    public Admission admit(String user, String resume) {
        if (user == null || !NAME.matcher(user).matches()) {
            return new Refused("invalid_name", "user must be 1-32 characters of A-Z a-z 0-9 _ . -", 1008);
        }
        String key = user.toLowerCase(Locale.ROOT);
        Claim claim = new Claim(user, key, newToken(), serials.incrementAndGet());
        while (true) {
            Claim holder = claims.get(key);
            if (holder == null) {
                if (!reserve()) {
                    return new Refused("server_full", "the server is at its session limit", 1013);
                }
                if (claims.putIfAbsent(key, claim) == null) {
                    return new Admitted(claim);
                }
                sessions.decrementAndGet(); // lost a race for the name: look again
            } else if (resume != null && sameToken(resume, holder.token)) {
                if (claims.replace(key, holder, claim)) {
                    sessions.incrementAndGet(); // the old one is counted until it has ended
                    holder.replace();
                    return new Admitted(claim);
                }
            } else {
                return new Refused("name_taken", "the name " + user + " is taken", 1008);
            }
        }
    }

    /** The session of {@code claim} has ended (or never started): frees its name and its place. */
    public void release(Claim claim) {
        claims.remove(claim.key, claim);
        sessions.decrementAndGet();
    }

    /** Sessions admitted and not yet ended. */
    public int count() {
        return sessions.get();
    }

    private boolean reserve() {
        while (true) {
            int n = sessions.get();
            if (n >= maxSessions) {
                return false;
            }
            if (sessions.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private static boolean sameToken(String given, String token) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static String newToken() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
