import LoomCore

/// Partitions a cluster computed and keeps (`persist(on:)`): their keys, and what holds them
/// there — when the last frame using them goes, the cluster releases them.
final class PersistedPartitions: Sendable {
    let keys: [Key]
    let schema: Schema
    /// Held only to keep the partitions on the cluster.
    let retainer: any Sendable

    init(keys: [Key], schema: Schema, retainer: any Sendable) {
        self.keys = keys
        self.schema = schema
        self.retainer = retainer
    }

    func picking(_ index: Int) -> PersistedPartitions {
        PersistedPartitions(keys: [keys[index]], schema: schema, retainer: retainer)
    }
}
