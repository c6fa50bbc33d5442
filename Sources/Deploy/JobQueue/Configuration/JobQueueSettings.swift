import LoomCore

/// `jobqueue:` in loom.yaml, a section per batch system (`jobqueue.slurm.queue: normal`), kept
/// as written: `JobQueueConfiguration` knows each setting and reads it into a job's options.
public struct JobQueueSettings: ConfigurationSection, Equatable {
    public static let name = "jobqueue"
    public var systems: [BatchSystem: [String: ConfigurationValue]] = [:]

    public init() {}

    public mutating func set(_ setting: String, to value: ConfigurationValue) throws {
        let parts = setting.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw LoomError(.configuration, "\(value.origin): '\(value.key)' is not jobqueue.<batch system>.<setting>")
        }
        guard let system = BatchSystem(rawValue: parts[0]) else {
            throw LoomError(.configuration, """
                \(value.origin): unknown batch system '\(parts[0])' in '\(value.key)' \
                (known: \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", ")))
                """)
        }
        systems[system, default: [:]][parts[1]] = value
    }
}
