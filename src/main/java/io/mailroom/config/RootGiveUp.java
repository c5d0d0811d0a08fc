package io.mailroom.config;

import io.mailroom.process.ExitReason;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ApplicationContext;
import org.springframework.stereotype.Component;

/**
 * What the node does when its root supervisor ends without the context having asked it to (it
 * gave up after exceeding its intensity, or someone killed it), or when a thread of the runtime
 * died (see {@link NodeWatch}): either way the service cannot go on. As an OTP node stops when its
 * permanent application ends (and {@code heart}, systemd or Kubernetes start it again), the
 * default is an orderly Spring shutdown and then exit status {@value #EXIT_STATUS}; a JVM that
 * stayed up without its tree would answer 503 to every counter request, for good.
 * {@code mailroom.root.on-give-up=stay} keeps it up with health DOWN instead, for someone to look at.
 */
@Component
public class RootGiveUp {
    /** EX_SOFTWARE of sysexits.h: an internal software error. */
    public static final int EXIT_STATUS = 70;

    private static final Logger LOG = LoggerFactory.getLogger(RootGiveUp.class);

    private final ApplicationContext context;
    private final SupervisionProperties.OnGiveUp policy;
    private final Duration haltAfter;
    private final AtomicBoolean stopping = new AtomicBoolean();

    public RootGiveUp(ApplicationContext context, SupervisionProperties supervision, SchedulerProperties scheduler) {
        this.context = context;
        this.policy = supervision.root().onGiveUp();
        // the tree and the node each get the shutdown timeout; the web server its own graceful phase
        this.haltAfter = scheduler.shutdownTimeout().multipliedBy(2).plusSeconds(40);
    }

    /**
     * The root ended with {@code reason}. Called on whichever thread saw it end (a scheduler's,
     * often): it never blocks, the shutdown runs on a thread of its own.
     */
    public void rootEnded(ExitReason reason) {
        nodeFailed("the root supervisor ended (" + reason + ")");
    }

    /** The node cannot go on because of {@code what}; same contract as {@link #rootEnded}. */
    public void nodeFailed(String what) {
        if (policy == SupervisionProperties.OnGiveUp.STAY) {
            LOG.error("{}: staying up with health DOWN (mailroom.root.on-give-up=stay)", what);
            return;
        }
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        LOG.error("{}: stopping the service, then the JVM with exit status {}", what, EXIT_STATUS);
        Thread stop = new Thread(this::exit, "mailroom-give-up");
        stop.setDaemon(false); // keeps the JVM alive until it has called System.exit
        stop.start();
    }

    private void exit() {
        // a close that hangs must not leave a zombie either: past the bound, halt without hooks
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(haltAfter);
            } catch (InterruptedException e) {
                return;
            }
            LOG.error("the orderly stop took longer than {}: halting with exit status {}", haltAfter, EXIT_STATUS);
            Runtime.getRuntime().halt(EXIT_STATUS);
        }, "mailroom-give-up-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int status = EXIT_STATUS;
        try {
            status = SpringApplication.exit(context, () -> EXIT_STATUS);
        } catch (RuntimeException e) {
            LOG.error("stopping the service failed; exiting anyway", e);
        }
        System.exit(status == 0 ? EXIT_STATUS : status);
    }
}
