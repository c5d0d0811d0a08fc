package io.mailroom.chat;

import io.mailroom.process.Pid;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Who is connected: each live name (unique case-insensitively) with its session token, and the
 * session count that {@code server_full} is judged by. Admission is atomic: two connections
 * racing for one name, or one token, get one winner. Thread-safe, non-blocking.
 *
 * <p>In cluster mode a name is this node's only once {@link NameClaims} confirmed it: a connection
 * is {@linkplain #admitPending admitted pending} (name checked, and refused at once if a session of
 * this node holds it), its session claims the name in the store, and only then is it
 * {@linkplain #install installed} here (and counted, and replaces the local session it took over).
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
        /** Counted in the session count: from admission on a single node, from installation in a cluster. */
        private final AtomicBoolean counted = new AtomicBoolean();
        /** Cluster mode: the name's lease in the store, once confirmed. */
        private volatile NameClaims.Lease lease;
        private volatile String resume;

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

        /** Cluster mode, until the store answered the claim: the resume token the connection gave, or null. */
        String takeResume() {
            String r = resume;
            resume = null;
            return r;
        }

        /** Cluster mode: the lease the store confirmed (null before, and on a single node). */
        public NameClaims.Lease lease() {
            return lease;
        }

        void lease(NameClaims.Lease lease) {
            this.lease = lease;
        }

        /** Whether a resume (here or on another node) took this name over. */
        public boolean replaced() {
            return replaced;
        }

        /** The name in lower case: what uniqueness is judged by. */
        String key() {
            return key;
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
                    claim.counted.set(true);
                    return new Admitted(claim);
                }
                sessions.decrementAndGet(); // lost a race for the name: look again
            } else if (resume != null && sameToken(resume, holder.token)) {
                if (claims.replace(key, holder, claim)) {
                    sessions.incrementAndGet(); // the old one is counted until it has ended
                    claim.counted.set(true);
                    holder.replace();
                    return new Admitted(claim);
                }
            } else {
                return new Refused("name_taken", "the name " + user + " is taken", 1008);
            }
        }
    }

    /**
     * Cluster mode: checks a connection before its name is claimed in the store. Refuses an invalid
     * name, and a name that a session of this node holds unless {@code resume} is its token; else
     * answers a claim that is neither held here nor counted until {@link #install}. The session
     * limit is judged then, after the store's answer, so that {@code name_taken} comes first.
     */
    public Admission admitPending(String user, String resume) {
        if (user == null || !NAME.matcher(user).matches()) {
            return new Refused("invalid_name", "user must be 1-32 characters of A-Z a-z 0-9 _ . -", 1008);
        }
        String key = user.toLowerCase(Locale.ROOT);
        Claim holder = claims.get(key);
        if (holder != null && !holder.replaced && (resume == null || !sameToken(resume, holder.token))) {
            return new Refused("name_taken", "the name " + user + " is taken", 1008);
        }
        Claim claim = new Claim(user, key, newToken(), serials.incrementAndGet());
        claim.resume = resume;
        return new Admitted(claim);
    }

    /**
     * Cluster mode: the store confirmed {@code claim}'s name. Holds it here, replacing (4000) a
     * session of this node that held it (the one a resume took over), and counts it: within the
     * session limit unless it took a live session over ({@code tookOver}), which frees one. False,
     * and nothing held, if the server is full: the caller releases the lease and says
     * {@code server_full}.
     */
    public boolean install(Claim claim, boolean tookOver) {
        Claim holder = claims.get(claim.key);
        if (tookOver || holder != null) {
            sessions.incrementAndGet();
        } else if (!reserve()) {
            return false;
        }
        claim.counted.set(true);
        Claim before = claims.put(claim.key, claim);
        if (before != null && before != claim) {
            before.replace();
        }
        return true;
    }

    /** The session of {@code claim} has ended (or never started): frees its name and its place. Idempotent. */
    public void release(Claim claim) {
        claims.remove(claim.key, claim);
        if (claim.counted.compareAndSet(true, false)) {
            sessions.decrementAndGet();
        }
    }

    /** The SHA-256 of a resume token, URL-safe Base64: what a store shared by nodes keeps instead of the token. */
    public static String tokenHash(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
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
