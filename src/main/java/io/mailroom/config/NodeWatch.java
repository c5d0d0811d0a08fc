package io.mailroom.config;

import io.mailroom.process.Node;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Looks once a second at the runtime's own threads: a scheduler thread or the timer thread that
 * died (of a fault their loops could not survive) leaves a node that silently stops running some
 * processes or timers. Health already says DOWN then; this also tells {@link RootGiveUp}, so the
 * node stops (exit status 70) as when its root gives up, or stays up DOWN under {@code stay}.
 * A node being shut down is not a failure: its threads are meant to end.
 */
@Component
public class NodeWatch implements SmartLifecycle {
    static final long INTERVAL_MILLIS = 1000;

    private final Node node;
    private final RootGiveUp giveUp;
    private volatile ScheduledExecutorService timer;
    private volatile boolean reported;

    public NodeWatch(Node node, RootGiveUp giveUp) {
        this.node = node;
        this.giveUp = giveUp;
    }

    @Override
    public void start() {
        ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "mailroom-node-watch");
            thread.setDaemon(true);
            return thread;
        });
        t.scheduleWithFixedDelay(this::check, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        timer = t;
    }

    private void check() {
        if (reported || node.isShutdown()) {
            return;
        }
        String dead = !node.schedulersAlive() ? "a scheduler thread died"
                : !node.timersAlive() ? "the timer thread died" : null;
        if (dead != null && !node.isShutdown()) {
            reported = true;
            giveUp.nodeFailed(dead);
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService t = timer;
        timer = null;
        if (t != null) {
            t.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }

    /** Stops first: a context that is closing stops the node, which is no failure. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1;
    }
}
