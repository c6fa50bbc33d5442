import LoomCore

/// What every job-queue cluster takes, as dask-jobqueue users know it (`SLURMCluster(cores:
/// memory: queue: walltime: …)`). One job runs `processes` workers sharing `cores` and `memory`.
public struct JobQueueOptions: Sendable, Equatable {
    /// Cores per job.
    public var cores: Int
    /// Memory per job, as written ("128GB", "64GiB"); each worker gets memory / processes.
    public var memory: String
    /// Worker processes per job; by default as Dask chooses (one per core up to 4 cores).
    public var processes: Int?
    public var queue: String?
    /// The account (SLURM, PBS) or project (LSF, SGE, OAR) to charge.
    public var account: String?
    /// "HH:MM:SS".
    public var walltime: String?
    public var jobName = "loom-worker"
    /// Extra header lines, without the prefix (`--constraint=haswell`, `-l h_vmem=14G`).
    public var jobExtraDirectives: [String] = []
    /// Generated header lines containing any of these are dropped.
    public var jobDirectivesSkip: [String] = []
    /// Shell lines before and after the worker command (`module load …`).
    public var jobScriptPrologue: [String] = []
    public var jobScriptEpilogue: [String] = []
    /// A resource specification passed as is: PBS `-l SPEC` (instead of select=…), SGE `-l SPEC`.
    public var resourceSpec: String?
    /// The network interface workers serve on (`ib0`).
    public var interface: String?
    /// Where workers spill; `$VARIABLES` are expanded on the node.
    public var localDirectory: String?
    /// Where the batch system writes each job's output.
    public var logDirectory: String?
    /// Seconds a worker waits for its scheduler before it exits.
    public var deathTimeout: Double = 60
    public var workerExtraArguments: [String] = []
    /// The program that runs workers; by default this one.
    public var workerCommand: String?
    public var shebang = "#!/usr/bin/env bash"
    public var nanny = true
    /// HTCondor's `RequestDisk`; by default the memory.
    public var disk: String?

    public init(cores: Int, memory: String) {
        self.cores = cores
        self.memory = memory
    }

    /// Worker processes per job.
    public var workerProcesses: Int {
        if let processes { return max(1, processes) }
        if cores <= 4 { return max(1, cores) }
        var workers = Int(Double(cores).squareRoot().rounded())
        while cores % workers != 0 { workers -= 1 }
        return workers
    }

    /// Threads per worker.
    public var threadsPerWorker: Int { max(1, cores / workerProcesses) }

    /// Checks what a batch system would reject later, naming the option.
    public func validated() throws -> (memoryBytes: UInt64, perWorker: UInt64) {
        guard cores >= 1 else { throw LoomError(.configuration, "cores must be at least 1, not \(cores)") }
        if let processes, processes < 1 || processes > cores {
            throw LoomError(.configuration, "processes must be between 1 and cores (\(cores)), not \(processes)")
        }
        let bytes = try MemorySize.bytes(memory)
        guard bytes > 0 else { throw LoomError(.configuration, "memory must be more than 0, not '\(memory)'") }
        if let walltime, Walltime.seconds(walltime) == nil {
            throw LoomError(.configuration, "walltime '\(walltime)' is not HH:MM:SS (or MM:SS, or minutes)")
        }
        return (bytes, bytes / UInt64(workerProcesses))
    }
}

/// Walltimes as batch systems write them.
enum Walltime {
    /// Seconds in "HH:MM:SS", "MM:SS" or "MINUTES".
    static func seconds(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let values = parts.map { $0! }
        switch values.count {
        case 1: return values[0] * 60
        case 2: return values[0] * 60 + values[1]
        default: return values[0] * 3600 + values[1] * 60 + values[2]
        }
    }

    /// LSF's "HH:MM", rounded up to the minute.
    static func hoursMinutes(_ text: String) -> String {
        let seconds = Walltime.seconds(text) ?? 0
        let minutes = (seconds + 59) / 60
        return String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
}
