package io.mailroom.process;

/** The tick a receive-timeout timer sends; stale when the process has handled a message since. */
record ReceiveTimeout(long generation) {}
