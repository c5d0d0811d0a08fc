package io.mailroom.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The WebSocket chat (protocol.md §1) and the rooms API (§2), {@code mailroom.chat.*}: the chat's
 * limits, with the contract's defaults.
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
@ConfigurationProperties("mailroom.chat")
@Validated
public record ChatProperties(
        @Positive @DefaultValue("1000") int historySize,
        @NotNull @DefaultValue("256MB") DataSize historyBudget,
        @PositiveOrZero @DefaultValue("50") int joinHistory,
        @PositiveOrZero @DefaultValue("1000") int catchUpLimit,
        @NotNull @DefaultValue("1MB") DataSize catchUpBytes,
        @Positive @DefaultValue("10000") int maxSessions,
        @Positive @DefaultValue("100") int maxRoomsPerSession,
        @Positive @DefaultValue("16384") int maxFrameBytes,
        @Positive @DefaultValue("4000") int maxTextLength,
        @Valid @DefaultValue Rate rate,
        @Valid @DefaultValue JoinRate joinRate,
        @NotNull @DefaultValue("1MB") DataSize outboundQueue,
        @NotNull @DefaultValue("64KB") DataSize socketSendBuffer,
        @NotNull @DurationMin(millis = 1) @DefaultValue("60s") Duration roomIdleTimeout,
        @NotNull @DurationMin(millis = 1) @DefaultValue("30s") Duration pingInterval,
        @NotNull @DurationMin(millis = 1) @DefaultValue("5s") Duration sendTimeout,
        @NotNull @DurationMin(millis = 1) @DefaultValue("5s") Duration callTimeout,
        @NotNull @DurationMin(millis = 1) @DefaultValue("60s") Duration writeTimeout,
        @DefaultValue List<String> allowedOrigins) {

    /** A token bucket: {@code capacity} tokens, refilled at {@code refillPerSecond}. */
    public record Rate(
            @Positive @DefaultValue("100") int capacity,
            @Positive @DefaultValue("50") double refillPerSecond) {}

    /** The bucket for {@code join} and {@code leave} frames: {@code capacity} tokens, refilled at {@code refillPerSecond}. */
    public record JoinRate(
            @Positive @DefaultValue("200") int capacity,
            @Positive @DefaultValue("10") double refillPerSecond) {}
}
