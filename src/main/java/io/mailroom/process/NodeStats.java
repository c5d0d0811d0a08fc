package io.mailroom.process;

import java.util.Map;

/**
 * Node-wide counts since the node started. Read from counters the runtime keeps anyway: taking a
 * snapshot costs a few reads per scheduler, nothing on the message path.
 *
 * @param alive            processes alive now
 * @param spawned          processes spawned
 * @param exitsByReason    processes ended, by {@link ExitReason#label()}
 * @param messagesSent     messages put into mailboxes
 * @param messagesDropped  messages sent to dead processes or refused by full mailboxes
 * @param pendingTimers    timers neither fired nor cancelled
 * @param registeredNames  names in the registry
 */
public record NodeStats(int alive, long spawned, Map<String, Long> exitsByReason, long messagesSent,
                        long messagesDropped, int pendingTimers, int registeredNames) {}
