package io.mailroom.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Several nodes serving one chat through Redis (protocol.md §5), {@code mailroom.cluster.*}. With
 * {@code redis.url} unset (the default) the service is one node and touches no Redis at all.
 *
 * @param redis        the Redis every node of the cluster shares
 * @param presenceTtl  how soon a node that stops or is cut off loses its members from every room
 *                     (others get {@code presence} leave); it heartbeats every sixth of it
 * @param nameLease    how long a name stays its session's without a renewal (unset: {@code presenceTtl}):
 *                     how soon a dead node's names come free, and how long a node cut off from Redis
 *                     keeps its sessions (a little less: a session closes before its lease may have run out)
 */
@ConfigurationProperties("mailroom.cluster")
@Validated
public record ClusterProperties(
        @Valid @DefaultValue Redis redis,
        @NotNull @DurationMin(millis = 600) @DefaultValue("15s") Duration presenceTtl,
        @DurationMin(millis = 600) Duration nameLease) {

    /**
     * @param url     {@code redis://host:port[/db]}; unset: a single node
     * @param timeout how long one Redis command may take before the request it serves is refused
     *                with {@code unavailable} (and the health check says DOWN)
     */
    public record Redis(
            String url,
            @NotNull @DurationMin(millis = 1) @DefaultValue("2s") Duration timeout) {}

    /** The lease of a name: {@code name-lease}, or {@code presence-ttl} when unset. */
    public Duration nameLeaseOrTtl() {
        return nameLease != null ? nameLease : presenceTtl;
    }

    /** Whether this node is part of a cluster. */
    public boolean enabled() {
        return redis.url() != null && !redis.url().isBlank();
    }
}
