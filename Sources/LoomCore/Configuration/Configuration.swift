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
///
/// The core parses and checks its own sections here (`local`, `scheduler`, `progress`); every
/// other layer declares its section as a `ConfigurationSection` in its own target (the worker's
/// `worker.memory`, `comm`, `array`, `jobqueue`) and reads it with `section(_:)`, which checks
/// the section's entries then.
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
    /// A task errs with `KilledWorker` once this many workers died while running it.
    public var allowedFailures = 3
    /// Seconds a task no worker can run waits before it errs (Dask's `no-workers-timeout`);
    /// `nil`, the default, waits for ever (a worker that fits may still join).
    public var unrunnableTimeout: Double? = nil
    /// The entries of the other layers' sections as written, by key (`comm.tls.ca-file`), the
    /// last layer's where several set one.
    public private(set) var entries: [String: ConfigurationValue] = [:]

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
        "scheduler.allowed-failures": Setting("a positive whole number") { configuration, text in
            guard let value = Int(text), value > 0 else { return false }
            configuration.allowedFailures = value
            return true
        },
        "scheduler.unrunnable-timeout": Setting("a number of seconds, more than zero") { configuration, text in
            guard let value = Double(text), value > 0, value.isFinite else { return false }
            configuration.unrunnableTimeout = value
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

    /// One `key = value` (or a list, for job-queue settings) from somewhere, remembered with
    /// where it came from for errors.
    struct Entry {
        let key: String
        let value: String
        var list: [String]? = nil
        let origin: String
    }

    /// The sections the core parses itself; any other section's entries are kept for its layer.
    static let ownSections: Set<String> = ["local", "scheduler", "progress"]

    mutating func apply(_ entries: [Entry]) throws {
        for entry in entries {
            guard let section = entry.key.split(separator: ".").first, Self.ownSections.contains(String(section)) else {
                self.entries[entry.key] = ConfigurationValue(key: entry.key, values: entry.list ?? [entry.value], isList: entry.list != nil, origin: entry.origin)
                continue
            }
            guard entry.list == nil else { throw LoomError(.configuration, "\(entry.origin): '\(entry.key)' must be a single value") }
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

/// One entry of a section as written: one value or a list, and where it came from.
public struct ConfigurationValue: Sendable, Equatable {
    /// The whole key, `comm.tls.ca-file`.
    public var key: String
    public var values: [String]
    public var isList: Bool
    /// The file and line, or the environment variable.
    public var origin: String

    public init(key: String, values: [String], isList: Bool, origin: String) {
        self.key = key
        self.values = values
        self.isList = isList
        self.origin = origin
    }

    /// The single value; a list is refused, naming where it was written.
    public func single() throws -> String {
        guard !isList, let value = values.first else { throw LoomError(.configuration, "\(origin): '\(key)' must be a single value") }
        return value
    }

    /// The error for a value its section cannot use: where, which key, what it is and what was expected.
    public func invalid(expected: String) -> LoomError {
        LoomError(.configuration, "\(origin): '\(key)' is '\(values.joined(separator: ", "))', expected \(expected)")
    }
}
