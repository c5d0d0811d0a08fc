package io.mailroom.supervision;

import io.mailroom.process.Pid;
import java.time.Instant;

/**
 * One child as its supervisor sees it (OTP's {@code which_children}, with restart statistics).
 *
 * @param id                 the child spec's id
 * @param pid                the running process, or null when it is not running
 * @param name               the child's registered name, or null
 * @param type               worker or supervisor
 * @param restart            its restart type
 * @param restarts           how many times this supervisor restarted it
 * @param lastRestartAt      when it was last restarted, or null
 * @param lastRestartReason  the exit reason that caused the last restart, or null
 */
public record ChildInfo(String id, Pid<?> pid, String name, ChildType type, Restart restart, long restarts,
                        Instant lastRestartAt, String lastRestartReason) {}
