package io.mailroom.process;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Node} runs.
 *
 * @param schedulers             scheduler threads (default: available processors)
 * @param messageBudget          messages a process handles per turn before it yields (default 100)
 * @param spinMicros             how long at most an idle scheduler searches for work before it parks, in
 *                               microseconds (default 50); it spins less while spinning finds nothing
 * @param timerTick              timer resolution (default 1 ms)
 * @param crashReportsPerSecond  crash reports logged per second at most (default 10)
 * @param threadPrefix           scheduler thread names (default {@code mailroom-scheduler})
 * @param pidStyle               how pids print (default Erlang's {@code <0.7.0>})
 * @param clock                  the time timers run on (default {@link NanoClock#SYSTEM}); a test's
 *                               clock advanced by hand makes timer tests exact
 */
public record NodeConfig(int schedulers, int messageBudget, int spinMicros, Duration timerTick,
                         int crashReportsPerSecond, String threadPrefix, PidStyle pidStyle, NanoClock clock) {

    public NodeConfig {
        if (schedulers < 1) {
            throw new IllegalArgumentException("schedulers must be >= 1, was " + schedulers);
        }
        if (messageBudget < 1) {
            throw new IllegalArgumentException("messageBudget must be >= 1, was " + messageBudget);
        }
        if (spinMicros < 0) {
            throw new IllegalArgumentException("spinMicros must be >= 0, was " + spinMicros);
        }
        if (timerTick.isNegative() || timerTick.isZero()) {
            throw new IllegalArgumentException("timerTick must be positive, was " + timerTick);
        }
        Objects.requireNonNull(threadPrefix, "threadPrefix");
        Objects.requireNonNull(pidStyle, "pidStyle");
        Objects.requireNonNull(clock, "clock");
    }

    /** On the system clock. */
    public NodeConfig(int schedulers, int messageBudget, int spinMicros, Duration timerTick,
                      int crashReportsPerSecond, String threadPrefix, PidStyle pidStyle) {
        this(schedulers, messageBudget, spinMicros, timerTick, crashReportsPerSecond, threadPrefix, pidStyle,
                NanoClock.SYSTEM);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(Runtime.getRuntime().availableProcessors(), 100, 50, Duration.ofMillis(1), 10,
                "mailroom-scheduler", PidStyle.ERLANG);
    }

    public NodeConfig withSchedulers(int n) {
        return new NodeConfig(n, messageBudget, spinMicros, timerTick, crashReportsPerSecond, threadPrefix,
                pidStyle, clock);
    }

    public NodeConfig withMessageBudget(int budget) {
        return new NodeConfig(schedulers, budget, spinMicros, timerTick, crashReportsPerSecond, threadPrefix,
                pidStyle, clock);
    }

    public NodeConfig withSpinMicros(int micros) {
        return new NodeConfig(schedulers, messageBudget, micros, timerTick, crashReportsPerSecond, threadPrefix,
                pidStyle, clock);
    }

    public NodeConfig withCrashReportsPerSecond(int perSecond) {
        return new NodeConfig(schedulers, messageBudget, spinMicros, timerTick, perSecond, threadPrefix,
                pidStyle, clock);
    }

    /** Scheduler threads named {@code prefix-0}, {@code prefix-1}…, the timer thread {@code prefix-timers}. */
    public NodeConfig withThreadPrefix(String prefix) {
        return new NodeConfig(schedulers, messageBudget, spinMicros, timerTick, crashReportsPerSecond, prefix,
                pidStyle, clock);
    }

    /** Pids printed as {@code style} shows them; {@link PidStyle#ELIXIR} is IEx's {@code #PID<0.7.0>}. */
    public NodeConfig withPidStyle(PidStyle style) {
        return new NodeConfig(schedulers, messageBudget, spinMicros, timerTick, crashReportsPerSecond, threadPrefix,
                style, clock);
    }

    /** Timers run on {@code clock}: a test's clock, advanced by hand, instead of {@link NanoClock#SYSTEM}. */
    public NodeConfig withClock(NanoClock clock) {
        return new NodeConfig(schedulers, messageBudget, spinMicros, timerTick, crashReportsPerSecond, threadPrefix,
                pidStyle, clock);
    }

    /** Timers of resolution {@code tick}: finer costs the timer thread more wake-ups. */
    public NodeConfig withTimerTick(Duration tick) {
        return new NodeConfig(schedulers, messageBudget, spinMicros, tick, crashReportsPerSecond, threadPrefix,
                pidStyle, clock);
    }
}
