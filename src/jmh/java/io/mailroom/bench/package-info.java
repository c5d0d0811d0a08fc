/**
 * JMH benchmarks of the process runtime against Apache Pekko typed and plain virtual threads
 * (one {@link java.util.concurrent.LinkedBlockingQueue} per "process"). Built only with the
 * Maven profile {@code bench}; run with {@code bench/run.sh}; results in docs/benchmarks.md.
 *
 * <p>One file per workload, named {@code W<n><Name>.java}, each a JMH state extending
 * {@link io.mailroom.bench.WorkloadBench}: it declares {@code UNITS} and {@code UNIT} (the work one
 * invocation does, for the report's rates) and builds a {@link io.mailroom.bench.Workload} for each
 * implementation ({@code impl} = mailroom, pekko, vthreads). {@link io.mailroom.bench.BenchMain}
 * runs every class matching {@code io.mailroom.bench.W*} and prints the table with ratios.
 *
 * <ul>
 *   <li>W1 {@link io.mailroom.bench.W1SpawnIdle}: spawn and stop 1,000,000 idle processes;
 *       {@link io.mailroom.bench.W1Memory} measures the heap each one retains.</li>
 *   <li>W2 {@link io.mailroom.bench.W2PingPong}: one pair, 1,000,000 round trips.</li>
 *   <li>W3 {@link io.mailroom.bench.W3PingPongPairs}: 1,000 pairs, 1,000 round trips each.</li>
 *   <li>W4 {@link io.mailroom.bench.W4FanOut}: one publisher, 10,000 subscribers, 100 broadcasts.</li>
 *   <li>W5 {@link io.mailroom.bench.W5Ring}: a ring of 10,000 processes, the token goes round 100 times.</li>
 *   <li>W6 {@code W6Restart}: the supervisor restart cycle, written by the supervision work in the
 *       slot this suite left for it (a file in this package following the pattern above, which
 *       BenchMain picks up with no other change).</li>
 *   <li>W7 {@link io.mailroom.bench.W7ChatServer}: the seed's chat server, 1,000 clients each
 *       posting once, every post broadcast to all 1,000 clients.</li>
 * </ul>
 */
package io.mailroom.bench;
