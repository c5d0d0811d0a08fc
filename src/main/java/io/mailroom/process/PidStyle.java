package io.mailroom.process;

/**
 * How a node's pids print: Erlang's {@code <0.7.0>} (what {@code pid_to_list/1} gives, and what
 * the service's API uses), or Elixir's {@code #PID<0.7.0>} (what IEx shows, for the shell).
 * {@link Node#pid(String)} reads both.
 */
public enum PidStyle {
    ERLANG(""),
    ELIXIR("#PID");

    private final String prefix;

    PidStyle(String prefix) {
        this.prefix = prefix;
    }

    String format(long id) {
        return prefix + Pid.format(id);
    }
}
