package io.mailroom.process;

/**
 * One scheduler thread.
 *
 * @param index        0-based scheduler number
 * @param runQueue     processes waiting in its run queue
 * @param turns        process turns it has run (updated every 1024 turns)
 * @param steals       processes it took from others' queues
 * @param parkedNanos  time spent parked
 * @param utilization  share of its life not parked (spinning counts as busy), 0..1
 */
public record SchedulerStats(int index, int runQueue, long turns, long steals, long parkedNanos, double utilization) {}
