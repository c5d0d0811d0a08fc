package io.mailroom.process;

/**
 * One scheduler thread. The counts run from the node's start; they let a dashboard see what the
 * scheduler costs when it is not running processes: a storm of steals, or of park/unpark cycles
 * (each a system call and, on a VM, an interrupt between cores).
 *
 * @param index        0-based scheduler number
 * @param runQueue     processes waiting in its run queue
 * @param turns        process turns it has run (updated every 1024 turns, and whenever it runs out of work)
 * @param steals       times it took work from another scheduler's queue (half a queue at a time)
 * @param stolen       processes it took in those steals
 * @param spins        times it spun looking for work before parking (each bounded by time)
 * @param parks        times it parked
 * @param unparks      times another thread unparked it to search for work
 * @param parked       whether it is parked now
 * @param parkedNanos  time spent parked
 * @param utilization  share of its life not parked (spinning counts as busy), 0..1
 * @param spinningNanos time spent spinning for work before parking (the spin in progress included;
 *                     {@code parkedNanos} likewise includes the park in progress)
 * @param aliveNanos   time since the scheduler thread started: the rest of it, neither parked nor
 *                     spinning, it spent running processes (and taking them from its queues)
 */
public record SchedulerStats(int index, int runQueue, long turns, long steals, long stolen, long spins, long parks,
                             long unparks, boolean parked, long parkedNanos, double utilization,
                             long spinningNanos, long aliveNanos) {

    /** Time spent running processes: alive, neither parked nor spinning. */
    public long runningNanos() {
        return Math.max(0, aliveNanos - parkedNanos - spinningNanos);
    }
}
