package io.mailroom.process;

import java.time.Duration;

/**
 * How a {@link Node} runs.
 *
 * @param schedulers             scheduler threads (default: available processors)
 * @param messageBudget          messages a process handles per turn before it yields (default 100)
 * @param spinRounds             how long an idle scheduler searches before it parks, in rounds (default 2000)
 * @param timerTick              timer resolution (default 1 ms)
 * @param crashReportsPerSecond  crash reports logged per second at most (default 10)
 * @param threadPrefix           scheduler thread names (default {@code mailroom-scheduler})
 */
public record NodeConfig(int schedulers, int messageBudget, int spinRounds, Duration timerTick,
                         int crashReportsPerSecond, String threadPrefix) {

    public NodeConfig {
        if (schedulers < 1) {
            throw new IllegalArgumentException("schedulers must be >= 1, was " + schedulers);
        }
        if (messageBudget < 1) {
            throw new IllegalArgumentException("messageBudget must be >= 1, was " + messageBudget);
        }
        if (spinRounds < 0) {
            throw new IllegalArgumentException("spinRounds must be >= 0, was " + spinRounds);
        }
        if (timerTick.isNegative() || timerTick.isZero()) {
            throw new IllegalArgumentException("timerTick must be positive, was " + timerTick);
        }
    }

    public static NodeConfig defaults() {
        return new NodeConfig(Runtime.getRuntime().availableProcessors(), 100, 2000, Duration.ofMillis(1), 10,
                "mailroom-scheduler");
    }

    public NodeConfig withSchedulers(int n) {
        return new NodeConfig(n, messageBudget, spinRounds, timerTick, crashReportsPerSecond, threadPrefix);
    }

    public NodeConfig withMessageBudget(int budget) {
        return new NodeConfig(schedulers, budget, spinRounds, timerTick, crashReportsPerSecond, threadPrefix);
    }

    public NodeConfig withCrashReportsPerSecond(int perSecond) {
        return new NodeConfig(schedulers, messageBudget, spinRounds, timerTick, perSecond, threadPrefix);
    }
}
