package io.mailroom.process;

import java.util.List;

/**
 * A snapshot of one process, for management endpoints.
 *
 * @param pid          Erlang-style pid
 * @param name         registered name, or null
 * @param type         type label
 * @param status       waiting, runnable, running or exiting
 * @param mailbox      messages waiting
 * @param reductions   messages handled
 * @param parent       the spawning process's pid, or null
 * @param trapExits    whether it traps exits
 * @param links        pids it is linked to
 * @param monitors     pids it monitors
 * @param monitoredBy  pids monitoring it
 */
public record ProcessInfo(String pid, String name, String type, String status, int mailbox, long reductions,
                          String parent, boolean trapExits, List<String> links, List<String> monitors,
                          List<String> monitoredBy) {}
