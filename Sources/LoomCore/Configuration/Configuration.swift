/// Loom's settings, from defaults, `loom.yaml` files, `LOOM_…` environment variables and code,
/// each overriding the one before (see `Configuration.load`).
///
/// ```yaml
/// # ~/.config/loom/loom.yaml
/// local:
///   scheduler: processes   # synchronous | threads | processes
///   workers: 4
/// ```
/// `LOOM_LOCAL__WORKERS=8` overrides the file: sections and keys are joined by two underscores.
public struct Configuration: Sendable, Equatable {
    public enum LocalScheduler: String, Sendable, CaseIterable {
        case synchronous, threads, processes
    }

    /// The scheduler `compute()` uses when none is given.
    public var localScheduler: LocalScheduler = .threads
    /// Threads or processes of the local schedulers; `nil` means one per core.
    public var localWorkers: Int? = nil
    /// Seconds a computation runs before a progress bar appears.
    public var progressBarMinimum: Double = 0.5

    public init() {}

    /// Every setting a file or variable may name, with how to parse and apply it.
    static let settings: [String: Setting] = [
        "local.scheduler": Setting("synchronous, threads or processes") { configuration, text in
            guard let value = LocalScheduler(rawValue: text.lowercased()) else { return false }
            configuration.localScheduler = value
            return true
        },
        "local.workers": Setting("a positive whole number") { configuration, text in
            guard let value = Int(text), value > 0 else { return false }
            configuration.localWorkers = value
            return true
        },
        "progress.minimum": Setting("a number of seconds, zero or more") { configuration, text in
            guard let value = Double(text), value >= 0, value.isFinite else { return false }
            configuration.progressBarMinimum = value
            return true
        },
    ]

    struct Setting: Sendable {
        let expected: String
        let apply: @Sendable (inout Configuration, String) -> Bool
        init(_ expected: String, apply: @escaping @Sendable (inout Configuration, String) -> Bool) {
            self.expected = expected
            self.apply = apply
        }
    }

    /// One `key = value` from somewhere, remembered with where it came from for errors.
    struct Entry {
        let key: String
        let value: String
        let origin: String
    }

    mutating func apply(_ entries: [Entry]) throws {
        for entry in entries {
            guard let setting = Self.settings[entry.key] else {
                let known = Self.settings.keys.sorted().joined(separator: ", ")
                throw LoomError(.configuration, "\(entry.origin): unknown setting '\(entry.key)' (known: \(known))")
            }
            guard setting.apply(&self, entry.value) else {
                throw LoomError(
                    .configuration, "\(entry.origin): '\(entry.key)' is '\(entry.value)', expected \(setting.expected)")
            }
        }
    }
}
