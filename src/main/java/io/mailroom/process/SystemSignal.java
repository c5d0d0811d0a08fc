package io.mailroom.process;

/**
 * A signal between processes that is handled ahead of ordinary messages: link, unlink, exit,
 * monitor, demonitor. Pushed onto the target's lock-free signal stack.
 */
final class SystemSignal {
    static final int LINK = 1;
    static final int UNLINK = 2;
    static final int EXIT_LINK = 3;     // a linked process ended
    static final int EXIT_DIRECT = 4;   // Node.exit(pid, reason)
    static final int MONITOR = 5;
    static final int DEMONITOR = 6;
    static final int DESCRIBE = 7;      // Node.describe: answer a description of the state to `watcher`

    /** Marks a closed stack: the process has ended and takes no more signals. */
    static final SystemSignal CLOSED = new SystemSignal(0, null, null, null);

    final int kind;
    final Cell<?> from;
    final ExitReason reason;
    final Object ref;          // MonitorRef for MONITOR/DEMONITOR, the watcher for MONITOR in `watcher`
    Receiver watcher;
    SystemSignal next;

    SystemSignal(int kind, Cell<?> from, ExitReason reason, Object ref) {
        this.kind = kind;
        this.from = from;
        this.reason = reason;
        this.ref = ref;
    }

    static SystemSignal describe(Receiver replyTo) {
        SystemSignal s = new SystemSignal(DESCRIBE, null, null, null);
        s.watcher = replyTo;
        return s;
    }

    static SystemSignal monitor(MonitorRef ref, Receiver watcher) {
        SystemSignal s = new SystemSignal(MONITOR, null, null, ref);
        s.watcher = watcher;
        return s;
    }
}
