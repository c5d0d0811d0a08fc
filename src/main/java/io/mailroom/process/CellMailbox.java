package io.mailroom.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

/**
 * The bottom layer of a process ({@link Cell}): its identity, its scheduling state and its
 * mailbox. Split from the rest the way JCTools stacks its queues (one abstract class per part, a
 * single final class on top), so each file has one job while a process stays ONE object: the
 * fields of every layer share the object, and an idle process costs what it did before the split.
 *
 * <p>Mailbox: Vyukov's intrusive many-producer one-consumer queue; a send is one allocation and
 * one atomic swap, and the process is itself the queue's first (stub) node. The scheduling state
 * makes sure a process is queued to run at most once and is never left waiting with work
 * pending: a sender swaps the tail then reads the state; the owner writes the state then reads
 * the tail.
 */
abstract class CellMailbox<M> extends MailNode {

    static final int WAITING = 0;
    static final int RUNNABLE = 1;
    static final int RUNNING = 2;
    static final int EXITING = 3;
    static final int DEAD = 4;

    static final VarHandle STATE;
    private static final VarHandle TAIL;
    static final VarHandle HEAD;
    private static final VarHandle EXTRAS;
    /** {@link MailNode#next}, written with release semantics by {@link #enqueue}. */
    static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(CellMailbox.class, "state", int.class);
            TAIL = lookup.findVarHandle(CellMailbox.class, "tail", MailNode.class);
            HEAD = lookup.findVarHandle(CellMailbox.class, "head", MailNode.class);
            EXTRAS = lookup.findVarHandle(CellMailbox.class, "extras", Extras.class);
            NEXT = lookup.findVarHandle(MailNode.class, "next", MailNode.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Node node;
    final long id;
    final SpawnOptions options;

    private volatile MailNode tail;
    private MailNode head;
    volatile int state;
    /** What few processes need (links, monitors, a name, a bound...): allocated on first need. */
    volatile Extras extras;

    CellMailbox(Node node, long id, SpawnOptions options) {
        this.node = node;
        this.id = id;
        this.options = options;
        this.head = this;
        this.tail = this;
        if (options.mailboxBound() > 0 || options.trapExits()) {
            Extras x = new Extras(options.mailboxBound() > 0);
            x.trapExits = options.trapExits();
            this.extras = x;
        }
    }

    /** A bounded mailbox refused a message under {@link OverflowPolicy#EXIT}: the process must end. */
    abstract void exitOnOverflow();

    /** Whether a turn would find anything to do: messages here, or work of the upper layers. */
    abstract boolean hasWork();

    // ---------------------------------------------------------------- sending

    /** Any thread: puts {@code message} in the mailbox and schedules the process if it waits. */
    public void deliver(Object message) {
        if (state >= EXITING) {
            // Ending or ended (isAlive() is already false): nothing will take it from the mailbox.
            node.countDropped();
            return;
        }
        if (options.mailboxBound() > 0 && !admit(message)) {
            return;
        }
        enqueue(new MailNode(message));
        Worker local = node.scheduler.localWorker(); // the one look at the current thread per send
        node.countSent(local);
        if (state == WAITING && STATE.compareAndSet(this, WAITING, RUNNABLE)) {
            node.scheduler.submit((Cell<?>) this, local);
        }
    }

    /**
     * Bounded mailboxes: counts the arrival and applies the overflow policy. The bound is for
     * ordinary messages: a {@link Signal.Down} or a receive-timeout tick is always let in (the
     * runtime owes it to the process: a monitor reports exactly once).
     */
    private boolean admit(Object message) {
        Extras x = extras;
        int depth = x.queued.incrementAndGet();
        if (depth <= options.mailboxBound() || isSystemMessage(message)) {
            return true;
        }
        switch (options.overflow()) {
            case DROP_OLDEST:
                return true; // the owner drops from the head while over the bound
            case EXIT:
                x.queued.decrementAndGet();
                node.countDropped();
                exitOnOverflow();
                return false;
            default:
                x.queued.decrementAndGet();
                node.countDropped();
                return false;
        }
    }

    /**
     * Links {@code n} behind the tail. The swap is the linearization point (a full fence: it is
     * what the owner's read of the tail in {@link #hasWork} pairs with). The link to it needs only
     * a release store: it publishes the node and its message to the owner, which reads
     * {@code next} with acquire in {@link #poll}; nothing has to be ordered after it, because an
     * owner that sees the new tail before the link treats the gap as "not yet" and comes back.
     * A volatile store would add a StoreLoad fence per send for nothing.
     */
    private void enqueue(MailNode n) {
        MailNode prev = (MailNode) TAIL.getAndSet(this, n);
        NEXT.setRelease(prev, n);
    }

    /** The owner puts a message in its own mailbox (a trapped exit, a noproc down). */
    final void enqueueOwn(Object message) {
        Extras x = extras;
        if (x != null && x.queued != null) {
            x.queued.incrementAndGet();
        }
        enqueue(new MailNode(message));
    }

    /** Puts the process on a run queue if it is waiting; at most one caller wins. */
    final void wake() {
        if (state == WAITING && STATE.compareAndSet(this, WAITING, RUNNABLE)) {
            node.scheduler.submit((Cell<?>) this);
        }
    }

    // ---------------------------------------------------------------- receiving (owner only)

    /** Messages in the queue or messages to replay. */
    final boolean hasMessages() {
        if (tail != head) {
            return true;
        }
        Extras x = extras;
        return x != null && x.replay != null && !x.replay.isEmpty();
    }

    /** The next message to handle: deferred ones being replayed first, then the queue; or null. */
    final Object poll() {
        Extras x = extras;
        if (x != null) {
            ArrayDeque<Object> r = x.replay;
            if (r != null && !r.isEmpty()) {
                return r.pollFirst();
            }
        }
        for (;;) {
            MailNode h = head;
            MailNode n = (MailNode) NEXT.getAcquire(h);
            if (n == null) {
                if (tail == h) {
                    return null;
                }
                // A sender swapped the tail but has not linked its node yet: it is a few
                // instructions away. Give the turn up rather than spin on a scheduler thread.
                Thread.onSpinWait();
                n = (MailNode) NEXT.getAcquire(h);
                if (n == null) {
                    return null;
                }
            }
            HEAD.setOpaque(this, n);
            if (h == this) {
                this.next = null; // the process is its own stub node: do not keep the queue reachable
            }
            Object m = n.message;
            n.message = null;
            if (x != null && x.queued != null) {
                int depth = x.queued.decrementAndGet();
                if (options.overflow() == OverflowPolicy.DROP_OLDEST && depth >= options.mailboxBound()
                        && !isSystemMessage(m)) {
                    node.countDropped();
                    continue; // over the bound: this oldest message makes room
                }
            }
            return m;
        }
    }

    /** What the runtime itself puts in a mailbox, which a bounded mailbox never refuses or drops. */
    static boolean isSystemMessage(Object message) {
        return message instanceof Signal || message instanceof ReceiveTimeout;
    }

    /**
     * Lets the queued messages go as the process ends: senders have seen EXITING or DEAD and
     * dropped theirs since.
     */
    final void releaseMailbox() {
        MailNode t = tail;
        HEAD.setOpaque(this, t);
        t.message = null;
        this.next = null;
        Extras x = extras;
        if (x != null) {
            x.deferred = null;
            x.replay = null;
        }
    }

    final Extras extras() {
        Extras x = extras;
        if (x == null) {
            x = new Extras(false);
            if (!EXTRAS.compareAndSet(this, null, x)) {
                x = extras; // the registry named this process from another thread meanwhile
            }
        }
        return x;
    }

    // ---------------------------------------------------------------- introspection (any thread)

    public long id() {
        return id;
    }

    public boolean isAlive() {
        return state < EXITING;
    }

    public String status() {
        return switch (state) {
            case WAITING -> "waiting";
            case RUNNABLE -> "runnable";
            case RUNNING -> "running";
            case EXITING -> "exiting";
            default -> "dead";
        };
    }

    public int mailboxDepth() {
        Extras x = extras;
        int deferred = x == null ? 0 : x.deferredCount();
        if (x != null && x.queued != null) {
            return Math.max(0, x.queued.get()) + deferred;
        }
        int n = 0;
        MailNode h = (MailNode) HEAD.getOpaque(this);
        for (MailNode p = (MailNode) NEXT.getAcquire(h); p != null && n < Integer.MAX_VALUE - deferred;
                p = (MailNode) NEXT.getAcquire(p)) {
            n++;
        }
        return n + deferred;
    }
}
