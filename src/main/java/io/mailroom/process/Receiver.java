package io.mailroom.process;

/** Anything a monitor can report to: a process's mailbox, or the reply slot of a call. */
interface Receiver {

    /** Delivers a message of any type (a {@link Signal.Down}, for example). Never blocks. */
    void deliver(Object message);
}
