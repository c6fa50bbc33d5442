import LoomCore

/// Dask's four memory thresholds, as fractions of a worker's memory limit; `nil` turns one off
/// (`worker.memory.*` in loom.yaml: a fraction, or `false`).
public struct WorkerMemoryFractions: ConfigurationSection, Equatable {
    public static let name = "worker.memory"
    /// Held values above this spill, least recently used first.
    public var target: Double? = 0.6
    /// Process memory above this spills values until it is back under `target`.
    public var spill: Double? = 0.7
    /// Process memory above this pauses the worker: it starts nothing new.
    public var pause: Double? = 0.8
    /// Process memory above this makes the nanny restart the worker.
    public var terminate: Double? = 0.95

    public init() {}

    public init(target: Double? = 0.6, spill: Double? = 0.7, pause: Double? = 0.8, terminate: Double? = 0.95) {
        self.target = target
        self.spill = spill
        self.pause = pause
        self.terminate = terminate
    }

    public mutating func set(_ setting: String, to value: ConfigurationValue) throws {
        let fields: [String: WritableKeyPath<Self, Double?>] = ["target": \.target, "spill": \.spill, "pause": \.pause, "terminate": \.terminate]
        guard let field = fields[setting] else { throw Self.unknown(value, known: fields.keys.sorted()) }
        let text = try value.single()
        if text.lowercased() == "false" {
            self[keyPath: field] = nil
            return
        }
        guard let fraction = Double(text), fraction > 0, fraction <= 1 else {
            throw value.invalid(expected: "a fraction between 0 and 1, or false to turn it off")
        }
        self[keyPath: field] = fraction
    }
}
