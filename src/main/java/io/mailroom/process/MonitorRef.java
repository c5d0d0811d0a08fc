package io.mailroom.process;

/** Identifies one monitor, as Erlang's reference from {@code monitor/2}; unique per node. */
public record MonitorRef(long id) {
    @Override
    public String toString() {
        return "#Ref<0." + id + ">";
    }
}
