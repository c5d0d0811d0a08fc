package io.mailroom.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Every setting of the service, under {@code mailroom.*}, with the defaults the contract names.
 *
 * @param scheduler the process runtime
 * @param root      the root supervisor's restart intensity, and what the node does when it gives up
 * @param rooms     the rooms supervisor's restart intensity
 * @param sessions  the sessions supervisor's restart intensity
 * @param counters  the counters supervisor and the counters API
 * @param admin     the management (actuator) login
 * @param chat      the WebSocket chat (protocol.md §1) and the rooms API (§2)
 */
@ConfigurationProperties("mailroom")
public record MailroomProperties(
        @DefaultValue Scheduler scheduler,
        @DefaultValue Root root,
        @DefaultValue Intensity rooms,
        @DefaultValue Intensity sessions,
        @DefaultValue Counters counters,
        @DefaultValue Admin admin,
        @DefaultValue Chat chat) {

    /**
     * @param threads         scheduler threads; 0 means one per available processor
     * @param messageBudget   messages a process handles per turn before yielding
     * @param shutdownTimeout how long stopping the tree and then the node may take, each
     */
    public record Scheduler(
            @DefaultValue("0") int threads,
            @DefaultValue("100") int messageBudget,
            @DefaultValue("10s") Duration shutdownTimeout) {}

    /** OTP restart intensity: at most {@code maxRestarts} within {@code withinSeconds}. */
    public record Intensity(
            @DefaultValue("3") int maxRestarts,
            @DefaultValue("5") int withinSeconds) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /**
     * The root supervisor: its intensity, and what happens when it gives up (or is killed).
     *
     * @param maxRestarts   restarts the root allows…
     * @param withinSeconds …within this many seconds, before it gives up
     * @param onGiveUp      {@code exit} (stop the service in order, then the JVM with status 70) or
     *                      {@code stay} (keep the JVM up with health DOWN)
     */
    public record Root(
            @DefaultValue("3") int maxRestarts,
            @DefaultValue("5") int withinSeconds,
            @DefaultValue("exit") OnGiveUp onGiveUp) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /** What the node does when its root supervisor ends without being asked to (protocol.md §3, v1.1). */
    public enum OnGiveUp {
        /** An orderly Spring shutdown, then exit status 70, so that systemd, Docker or Kubernetes start it again. */
        EXIT,
        /** Stay up with health DOWN and every counter request answering 503, for someone to look at. */
        STAY
    }

    /**
     * @param maxRestarts    restarts the counters supervisor allows…
     * @param withinSeconds  …within this many seconds, before it escalates to the root
     * @param callTimeout    how long a REST request waits for a counter's answer before 503
     * @param crashRate      {@code crash} requests a second each client address may make (v1.1);
     *                       0 turns the limit off
     * @param crashBurst     {@code crash} requests an address may make at once after a quiet spell
     */
    public record Counters(
            @DefaultValue("100") int maxRestarts,
            @DefaultValue("10") int withinSeconds,
            @DefaultValue("5s") Duration callTimeout,
            @DefaultValue("20") double crashRate,
            @DefaultValue("20") int crashBurst) {

        public io.mailroom.supervision.Intensity toIntensity() {
            return io.mailroom.supervision.Intensity.of(maxRestarts, withinSeconds);
        }
    }

    /**
     * @param password  the password of the actuator user {@code admin}; when unset or blank, a random
     *                  one is generated and logged once at start-up
     */
    public record Admin(String password) {}

    /**
     * The chat's limits, with the contract's defaults.
     *
     * @param historySize         messages each room stores, at least (the contract's 1000)
     * @param historyBudget       UTF-8 bytes of stored message frames across all rooms (v1.1); past it the
     *                            history of rooms without members is dropped, least recently used first
     * @param joinHistory         messages in {@code joined} without {@code since}
     * @param catchUpLimit        messages in {@code joined} with {@code since}, at most
     * @param catchUpBytes        bytes of history frames in {@code joined} with {@code since}, at most (v1.1);
     *                            past either bound {@code joined} says {@code "more":true}; the same bound
     *                            holds for the body of {@code GET /api/rooms/{room}/messages}
     * @param maxSessions         live sessions at once; one more is refused with {@code server_full}
     * @param maxRoomsPerSession  rooms one session may be in ({@code too_many_rooms} beyond)
     * @param maxFrameBytes       the largest inbound frame, in UTF-8 bytes ({@code frame_too_large} beyond)
     * @param maxTextLength       the longest {@code text}, in code points ({@code invalid_text} beyond)
     * @param rate                the per-session token bucket for {@code send} frames
     * @param joinRate            the per-session token bucket for {@code join} and {@code leave} frames,
     *                            separate from {@code rate}; its default burst (200) is twice the room
     *                            limit, so a client that reconnects can rejoin all its rooms at once
     * @param outboundQueue       UTF-8 bytes waiting for a socket beyond which it is closed as a slow consumer
     * @param socketSendBuffer    the kernel send buffer of each accepted socket (SO_SNDBUF), fixed so that
     *                            what a slow client leaves unread piles up in the outbound queue, where it
     *                            is counted, and not in kernel memory; 0 leaves it to the OS's autotuning
     * @param roomIdleTimeout     how long a room process lives with no members
     * @param pingInterval        how often the transport pings each connection; a peer that has sent nothing
     *                            (not even the pong) between two pings is taken as dead and closed 1001
     * @param sendTimeout         how long a closing handshake may take before the socket is closed regardless
     * @param callTimeout         how long the WebSocket handler waits for a session to be started
     * @param writeTimeout        how long a client may take no bytes at all while frames wait for it
     *                            before it is closed as a slow consumer (v1.1)
     * @param allowedOrigins      origins besides the server's own whose pages may open the chat
     *                            ({@code *}: any); a handshake from another is refused with 403 (v1.1)
     */
    public record Chat(
            @DefaultValue("1000") int historySize,
            @DefaultValue("256MB") DataSize historyBudget,
            @DefaultValue("50") int joinHistory,
            @DefaultValue("1000") int catchUpLimit,
            @DefaultValue("1MB") DataSize catchUpBytes,
            @DefaultValue("10000") int maxSessions,
            @DefaultValue("100") int maxRoomsPerSession,
            @DefaultValue("16384") int maxFrameBytes,
            @DefaultValue("4000") int maxTextLength,
            @DefaultValue Rate rate,
            @DefaultValue JoinRate joinRate,
            @DefaultValue("1MB") DataSize outboundQueue,
            @DefaultValue("64KB") DataSize socketSendBuffer,
            @DefaultValue("60s") Duration roomIdleTimeout,
            @DefaultValue("30s") Duration pingInterval,
            @DefaultValue("5s") Duration sendTimeout,
            @DefaultValue("5s") Duration callTimeout,
            @DefaultValue("60s") Duration writeTimeout,
            @DefaultValue List<String> allowedOrigins) {

        /** A token bucket: {@code capacity} tokens, refilled at {@code refillPerSecond}. */
        public record Rate(
                @DefaultValue("100") int capacity,
                @DefaultValue("50") double refillPerSecond) {}

        /** The bucket for {@code join} and {@code leave} frames: {@code capacity} tokens, refilled at {@code refillPerSecond}. */
        public record JoinRate(
                @DefaultValue("200") int capacity,
                @DefaultValue("10") double refillPerSecond) {}
    }
}
