package io.mailroom.bench;

/**
 * One workload for one implementation. {@link #prepare} and {@link #cleanup} run outside the
 * measured time (JMH iteration setup and teardown); {@link #run} is the measured work and returns
 * only when all of it is done (every message delivered and counted).
 */
public interface Workload {

    /** Builds what the measured run needs: processes spawned, linked up, waiting. */
    default void prepare() throws Exception {}

    /** The measured work. */
    void run() throws Exception;

    /** Ends every process this workload started and waits until they are gone. */
    void cleanup() throws Exception;
}
