package io.mailroom.counter;

/** A counter as the REST API shows it. */
public record CounterView(String name, long value, long restarts) {}
