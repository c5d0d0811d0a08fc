package io.mailroom.process;

/** One queued message in a mailbox: a node of the intrusive many-producer, one-consumer queue. */
class MailNode {
    Object message;
    volatile MailNode next;

    MailNode() {}

    MailNode(Object message) {
        this.message = message;
    }
}
