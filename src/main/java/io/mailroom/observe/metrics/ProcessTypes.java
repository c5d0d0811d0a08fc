package io.mailroom.observe.metrics;

import java.util.List;

/**
 * Process types a part of the app spawns, declared as a bean so that {@link RuntimeMetrics} reports
 * them from the first scrape (reading 0), not only once a scan has seen one alive. The meters know
 * no type of their own beyond the runtime's: each feature declares the types it spawns.
 *
 * @param types the {@link io.mailroom.process.SpawnOptions#ofType type} labels
 */
public record ProcessTypes(List<String> types) {
    public ProcessTypes {
        types = List.copyOf(types);
    }

    public static ProcessTypes of(String... types) {
        return new ProcessTypes(List.of(types));
    }
}
