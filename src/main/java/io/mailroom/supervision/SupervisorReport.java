package io.mailroom.supervision;

import io.mailroom.process.Pid;
import java.time.Instant;
import java.util.List;

/**
 * A supervisor's state and statistics, for management views.
 *
 * @param name               registered name, or null
 * @param pid                the supervisor
 * @param strategy           its strategy
 * @param maxRestarts        intensity: restarts allowed…
 * @param withinSeconds      …within this many seconds
 * @param restarts           restarts it has made in total
 * @param restartsInWindow   restarts within the current intensity window
 * @param lastRestartAt      when it last restarted a child, or null
 * @param lastRestartReason  why, or null
 * @param childCount         children it has (running or not)
 * @param truncated          whether {@code children} was cut at the requested limit
 * @param children           its children in start order, at most the requested limit
 */
public record SupervisorReport(String name, Pid<?> pid, Strategy strategy, int maxRestarts, long withinSeconds,
                               long restarts, int restartsInWindow, Instant lastRestartAt, String lastRestartReason,
                               int childCount, boolean truncated, List<ChildInfo> children) {}
