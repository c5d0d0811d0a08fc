package io.mailroom.process;

import java.lang.reflect.Constructor;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the jcstress tests share: a {@link Node} whose threads never start, so nothing runs a
 * process but the test's own actors, and the node's shared run queue is where a woken process
 * lands (a wake-up from a thread that is not a scheduler thread goes there, as from any thread
 * outside the runtime). A test's actor that "is the scheduler" takes from that queue and gives
 * the process a turn with {@link Cell#run}, exactly as a worker does.
 *
 * <p>Each test state needs a node of its own (the queue tells which process was woken, and how
 * often), but a node is ~50 KB (its timer wheel, its run queue), and jcstress makes thousands of
 * states per batch: nodes are pooled. A state takes one when it is made and the arbiter gives it
 * back once it has emptied its queue; jcstress runs the arbiter after every actor of that state
 * has returned, so no thread touches a node while it is in the pool.
 */
final class Fixture {
    private static final ConcurrentLinkedQueue<Node> POOL = new ConcurrentLinkedQueue<>();
    private static final Constructor<Node> NODE;

    static {
        try {
            NODE = Node.class.getDeclaredConstructor(NodeConfig.class);
            NODE.setAccessible(true); // Node.start() would start scheduler and timer threads
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Fixture() {}

    /** A node with an empty shared queue and no threads. */
    static Node node() {
        Node n = POOL.poll();
        if (n != null) {
            return n;
        }
        try {
            return NODE.newInstance(NodeConfig.defaults().withSchedulers(1));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Gives a node back; its shared queue must be empty (see {@link #drain}). */
    static void release(Node node) {
        if (node.scheduler.pollShared() == null) {
            POOL.offer(node);
        } // else: a test left it dirty; let it go rather than leak into the next state
    }

    /** A process on {@code node} as Node.spawn makes one, but not in the process table. */
    static <M> Cell<M> cell(Node node, Behavior<M> behavior) {
        return new Cell<>(node, 1, SpawnOptions.DEFAULT, behavior, null);
    }

    /** One step of a scheduler: takes the next queued process, if any, and gives it a turn. */
    static boolean step(Node node, int budget) {
        Cell<?> c = node.scheduler.pollShared();
        if (c == null) {
            return false;
        }
        c.run(budget);
        return true;
    }

    /** How many times a process is in the node's shared queue (the tests put one process on a node). */
    static int queued(Node node) {
        return node.scheduler.sharedQueueLength();
    }

    /**
     * Runs queued turns until the queue is empty, at most {@code maxTurns}; returns the turns run.
     * A correct process needs one or two here; the bound keeps a broken one from hanging the run.
     */
    static int drain(Node node, int budget, int maxTurns) {
        int turns = 0;
        while (turns < maxTurns && step(node, budget)) {
            turns++;
        }
        return turns;
    }

    /**
     * What is wrong, if anything, with the scheduling state the actors left a process in: each
     * flag followed by a space, or "" when the state is one a correct runtime can be in. Call it
     * after every actor has returned and before {@link #drain}.
     * <ul>
     * <li>{@code DOUBLE-SCHEDULED(n)}: queued n &gt; 1 times (two threads would run it at once);
     * <li>{@code LOST-WAKEUP}: mail waiting, the process waiting, and queued nowhere: nothing will ever run it;
     * <li>{@code STUCK-RUNNABLE}: marked runnable but queued nowhere: no send will ever wake it again;
     * <li>{@code QUEUED-WHILE-…}: in the queue in a state other than runnable;
     * <li>{@code STILL-RUNNING}: every turn has returned, yet it is marked running.
     * </ul>
     */
    static String schedulingFlags(Node node, Cell<?> cell) {
        int q = queued(node);
        String status = cell.status();
        int depth = cell.mailboxDepth();
        StringBuilder flags = new StringBuilder();
        if (q > 1) {
            flags.append("DOUBLE-SCHEDULED(").append(q).append(") ");
        }
        if (q == 0 && status.equals("waiting") && depth > 0) {
            flags.append("LOST-WAKEUP ");
        }
        if (q == 0 && status.equals("runnable")) {
            flags.append("STUCK-RUNNABLE ");
        }
        if (q > 0 && !status.equals("runnable")) {
            flags.append("QUEUED-WHILE-").append(status.toUpperCase()).append(' ');
        }
        if (status.equals("running")) {
            flags.append("STILL-RUNNING ");
        }
        return flags.toString();
    }

    /** {@code a,b,c} of the first {@code n} entries. */
    static String join(int[] values, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, values.length); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(values[i]);
        }
        if (n > values.length) {
            sb.append(",…(").append(n).append(')');
        }
        return sb.toString();
    }
}
