package io.mailroom.observe.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.mailroom.process.Node;
import io.mailroom.process.SchedulerStats;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code mailroom_scheduler_utilization{scheduler,state}}: per scheduler thread, the share of the
 * last {@value #WINDOW_SECONDS} seconds it spent {@code running} processes, {@code spinning} for
 * work, and {@code parked}; the three add up to 1.
 *
 * <p>Cheap: the scheduler keeps two running totals, touched when it starts and stops spinning or
 * parking, never per message ({@link SchedulerStats#spinningNanos}, {@link SchedulerStats#parkedNanos}),
 * and running is the rest of its time. The shares are differences of those totals between now and
 * a sample kept from about {@value #WINDOW_SECONDS} s ago (samples are taken when the gauges are
 * read, at most one a second; read less often than the window, a share covers the time since the
 * last read). Before there is an older sample, the shares are over the scheduler's whole life.
 */
public final class SchedulerUtilization implements MeterBinder {
    public static final List<String> STATES = List.of("running", "spinning", "parked");
    static final int WINDOW_SECONDS = 10;
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    static final long SAMPLE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Reads closer together than this (one scrape reads 3 × schedulers gauges) reuse the shares. */
    static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** One scheduler's totals at one moment: alive, parked and spinning, in nanoseconds. */
    record Times(long alive, long parked, long spinning) {}

    private final Node node;
    private final ArrayDeque<Times[]> samples = new ArrayDeque<>();
    private long computedAt;
    private double[][] shares = new double[0][];

    public SchedulerUtilization(Node node) {
        this.node = node;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        int n = node.schedulerStats().size();
        for (int i = 0; i < n; i++) {
            int index = i;
            for (int s = 0; s < STATES.size(); s++) {
                int state = s;
                Gauge.builder("mailroom.scheduler.utilization", this, u -> u.share(index, state))
                        .description("Share of the last " + WINDOW_SECONDS + " s a scheduler thread spent running processes, spinning for work, or parked")
                        .tag("scheduler", Integer.toString(index))
                        .tag("state", STATES.get(state))
                        .strongReference(true)
                        .register(registry);
            }
        }
    }

    /** The share of {@link #STATES}{@code [state]} for scheduler {@code index}, 0..1. */
    public synchronized double share(int index, int state) {
        long now = System.nanoTime();
        if (shares.length == 0 || now - computedAt >= FRESH_NANOS) {
            shares = compute(now);
            computedAt = now;
        }
        return index < shares.length ? shares[index][state] : 0;
    }

    private double[][] compute(long now) {
        List<SchedulerStats> stats = node.schedulerStats();
        Times[] current = new Times[stats.size()];
        for (int i = 0; i < current.length; i++) {
            SchedulerStats s = stats.get(i);
            current[i] = new Times(s.aliveNanos(), s.parkedNanos(), s.spinningNanos());
        }
        Times[] last = samples.peekLast();
        if (last == null || last.length != current.length || current.length == 0
                || current[0].alive() - last[0].alive() >= SAMPLE_EVERY_NANOS) {
            samples.addLast(current);
        }
        // keep one sample at least a window old, and none older than that one
        while (samples.size() > 2 && current[0].alive() - secondOldest()[0].alive() >= WINDOW_NANOS) {
            samples.removeFirst();
        }
        Times[] base = samples.peekFirst();
        double[][] out = new double[current.length][];
        for (int i = 0; i < current.length; i++) {
            Times from = base != current && base.length == current.length ? base[i] : new Times(0, 0, 0);
            out[i] = shares(from, current[i]);
        }
        return out;
    }

    private Times[] secondOldest() {
        var it = samples.iterator();
        it.next();
        return it.next();
    }

    static double[] shares(Times from, Times to) {
        double span = to.alive() - from.alive();
        if (span <= 0) {
            return new double[] {0, 0, 1};
        }
        double parked = clamp((to.parked() - from.parked()) / span);
        double spinning = clamp(Math.min(1 - parked, (to.spinning() - from.spinning()) / span));
        return new double[] {clamp(1 - parked - spinning), spinning, parked};
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }
}
