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
    /// What a distributed worker does as its memory fills (fractions of its memory limit).
    public var workerMemory = WorkerMemoryFractions()
    /// A task errs with `KilledWorker` once this many workers died while running it.
    public var allowedFailures = 3
    /// Each batch system's section (`jobqueue.slurm.queue: normal`), as written: job-queue
    /// clusters read them as their defaults (`JobQueueOptions.configured(for:)`).
    public var jobQueue: [BatchSystem: [String: JobQueueSetting]] = [:]
    /// How connections are secured (`comm.require-encryption`, `comm.tls.*`).
    public var comm = CommSettings()
    /// The bytes a chunk of an array aims at when its chunks are `.auto` (`array.chunk-size`,
    /// Dask's default 128 MiB); a cluster's workers may ask for less (docs/array.md).
    public var arrayChunkSize: UInt64 = 128 * 1_048_576

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
        "worker.memory.target": fraction(\.target),
        "worker.memory.spill": fraction(\.spill),
        "worker.memory.pause": fraction(\.pause),
        "worker.memory.terminate": fraction(\.terminate),
        "comm.require-encryption": Setting("true or false") { configuration, text in
            guard let value = Bool(text.lowercased()) else { return false }
            configuration.comm.requireEncryption = value
            return true
        },
        "comm.tls.ca-file": Setting("a file path") { configuration, text in
            configuration.comm.tlsCAFile = text
            return !text.isEmpty
        },
        "comm.tls.scheduler.cert": tlsFile("scheduler", \.certificate),
        "comm.tls.scheduler.key": tlsFile("scheduler", \.key),
        "comm.tls.worker.cert": tlsFile("worker", \.certificate),
        "comm.tls.worker.key": tlsFile("worker", \.key),
        "comm.tls.client.cert": tlsFile("client", \.certificate),
        "comm.tls.client.key": tlsFile("client", \.key),
        "array.chunk-size": Setting("a memory size above zero, e.g. 128MiB") { configuration, text in
            guard let value = try? MemorySize.bytes(text), value > 0 else { return false }
            configuration.arrayChunkSize = value
            return true
        },
        "progress.minimum": Setting("a number of seconds, zero or more") { configuration, text in
            guard let value = Double(text), value >= 0, value.isFinite else { return false }
            configuration.progressBarMinimum = value
            return true
        },
    ]

    private static func tlsFile(_ role: String, _ field: WritableKeyPath<TLSFiles, String?> & Sendable) -> Setting {
        Setting("a file path") { configuration, text in
            configuration.comm.tls[role, default: TLSFiles()][keyPath: field] = text
            return !text.isEmpty
        }
    }

    private static func fraction(_ field: WritableKeyPath<WorkerMemoryFractions, Double?> & Sendable) -> Setting {
        Setting("a fraction between 0 and 1, or false to turn it off") { configuration, text in
            if text.lowercased() == "false" {
                configuration.workerMemory[keyPath: field] = nil
                return true
            }
            guard let value = Double(text), value > 0, value <= 1 else { return false }
            configuration.workerMemory[keyPath: field] = value
            return true
        }
    }

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

    mutating func apply(_ entries: [Entry]) throws {
        for entry in entries {
            if entry.key.hasPrefix("jobqueue.") {
                try applyJobQueue(entry)
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

extension Configuration {
    /// `jobqueue.<system>.<setting>`: kept as written for the job-queue clusters, which know
    /// the settings and check them when they read them.
    mutating func applyJobQueue(_ entry: Entry) throws {
        let parts = entry.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty else {
            throw LoomError(.configuration, "\(entry.origin): '\(entry.key)' is not jobqueue.<batch system>.<setting>")
        }
        guard let system = BatchSystem(rawValue: parts[1]) else {
            throw LoomError(.configuration, """
                \(entry.origin): unknown batch system '\(parts[1])' in '\(entry.key)' \
                (known: \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", ")))
                """)
        }
        jobQueue[system, default: [:]][parts[2]] = JobQueueSetting(values: entry.list ?? [entry.value], isList: entry.list != nil, origin: entry.origin)
    }
}

/// The batch systems Loom submits workers to.
public enum BatchSystem: String, Sendable, CaseIterable {
    case slurm, pbs, lsf, sge, htcondor, oar
}

/// One setting of a `jobqueue` section as written: one value or a list, and where it came from.
public struct JobQueueSetting: Sendable, Equatable {
    public var values: [String]
    public var isList: Bool
    /// The file and line, or the environment variable.
    public var origin: String

    public init(values: [String], isList: Bool, origin: String) {
        self.values = values
        self.isList = isList
        self.origin = origin
    }
}

/// Dask's four memory thresholds, as fractions of a worker's memory limit; `nil` turns one off.
public struct WorkerMemoryFractions: Sendable, Equatable {
    /// Held values above this spill, least recently used first.
    public var target: Double? = 0.6
    /// Process memory above this spills values until it is back under `target`.
    public var spill: Double? = 0.7
    /// Process memory above this pauses the worker: it starts nothing new.
    public var pause: Double? = 0.8
    /// Process memory above this makes the nanny restart the worker.
    public var terminate: Double? = 0.95

    public init(target: Double? = 0.6, spill: Double? = 0.7, pause: Double? = 0.8, terminate: Double? = 0.95) {
        self.target = target
        self.spill = spill
        self.pause = pause
        self.terminate = terminate
    }
}

/// `comm:` in loom.yaml: whether plain TCP is refused, and the TLS files of each role.
public struct CommSettings: Sendable, Equatable {
    public var requireEncryption = false
    public var tlsCAFile: String?
    /// By role: `scheduler`, `worker`, `client`.
    public var tls: [String: TLSFiles] = [:]
    public init() {}
}

/// A role's certificate and key files (`comm.tls.worker.cert`, `comm.tls.worker.key`).
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String?
    public var key: String?
    public init(certificate: String? = nil, key: String? = nil) {
        self.certificate = certificate
        self.key = key
    }
}
