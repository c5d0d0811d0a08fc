package io.mailroom.process;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The reply address of one {@link Node#call}: a pid that is not a process. The first reply
 * completes the future; a late or second reply is dropped. It monitors the callee, so a callee
 * that dies before answering fails the call at once (as {@code gen_server:call} exits).
 */
final class CallReply<R> extends CompletableFuture<R> implements Pid<R>, Receiver {
    private final Node node;
    private final long id;
    MonitorRef monitor;
    Cell<?> callee;
    TimerRef timer;

    CallReply(Node node, long id) {
        this.node = node;
        this.id = id;
    }

    @Override
    public void send(R message) {
        deliver(message);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void deliver(Object message) {
        if (message instanceof Signal.Down down) {
            if (down.ref().equals(monitor)) {
                completeExceptionally(new ProcessExitException(down.pid(), down.reason()));
                cleanUp(false);
            }
            return;
        }
        if (message instanceof CallTimeout) {
            completeExceptionally(new TimeoutException("no reply from " + callee + " in time"));
            cleanUp(true);
            return;
        }
        if (complete((R) message)) {
            cleanUp(true);
        } else {
            node.countDropped();
        }
    }

    private void cleanUp(boolean demonitor) {
        TimerRef t = timer;
        if (t != null) {
            t.cancel();
        }
        if (demonitor && callee != null && monitor != null) {
            callee.pushSignal(new SystemSignal(SystemSignal.DEMONITOR, null, null, monitor));
        }
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isAlive() {
        return !isDone();
    }

    @Override
    public String toString() {
        return node.formatPid(id);
    }

    /** The timer's message to a call that waited too long. */
    enum CallTimeout { INSTANCE }
}
