package io.mailroom.supervision;

/**
 * OTP's {@code count_children}.
 *
 * @param specs        child specs known
 * @param active       children running
 * @param supervisors  running children that are supervisors
 * @param workers      running children that are workers
 */
public record ChildCounts(int specs, int active, int supervisors, int workers) {}
