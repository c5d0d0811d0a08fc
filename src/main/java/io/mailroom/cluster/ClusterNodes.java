package io.mailroom.cluster;

/**
 * How many nodes the cluster has now, as this node sees them. Cluster presence (node heartbeats
 * with a TTL, design.md "Across machines") provides it as a bean; {@link ClusterGauges} exports it as
 * {@code mailroom_cluster_nodes}. Without such a bean the gauge does not exist: a node cannot count
 * the others by itself.
 */
@FunctionalInterface
public interface ClusterNodes {

    /** Nodes alive in the cluster, this one included; read on every scrape, so it must not block. */
    int count();
}
