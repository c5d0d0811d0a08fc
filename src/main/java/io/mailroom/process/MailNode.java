package io.mailroom.process;

/**
 * One queued message in a mailbox: a node of the intrusive many-producer, one-consumer queue.
 * {@code next} is a plain field accessed through {@link CellMailbox#NEXT}: a release store by
 * the sender that links the node, an acquire load by the owner that takes it.
 */
class MailNode {
    Object message;
    MailNode next;

    MailNode() {}

    MailNode(Object message) {
        this.message = message;
    }
}
