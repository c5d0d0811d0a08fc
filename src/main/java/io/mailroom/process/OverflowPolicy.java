package io.mailroom.process;

/** What a bounded mailbox does with a message that arrives when it is full. */
public enum OverflowPolicy {
    /** The arriving message is dropped (counted as dropped). */
    DROP_NEWEST,
    /** The oldest queued message is dropped to make room. */
    DROP_OLDEST,
    /** The process is exited with reason {@code mailbox_overflow} (trappable by links, as any abnormal exit). */
    EXIT
}
