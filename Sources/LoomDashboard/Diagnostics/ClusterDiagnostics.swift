import Foundation
import LoomCore
import LoomDistributed

/// One finished task in the task stream.
public struct TaskStreamEntry: Sendable, Codable, Equatable {
    /// Increases by one per entry; the dashboard asks for entries after the last it saw.
    public var sequence: Int
    public var key: String
    public var prefix: String
    public var worker: String
    public var thread: Int
    /// Seconds since 1970.
    public var start: Double
    public var stop: Double
    public var serialization: Double
}

/// Where the time of one function's tasks went, summed over the cluster.
public struct FunctionProfile: Sendable, Codable, Equatable {
    public var tasks = 0
    public var compute = 0.0
    public var serialization = 0.0
    /// Fetching this prefix's values between workers, and their bytes.
    public var transfer = 0.0
    public var transferBytes: UInt64 = 0
    /// Spilling and loading this prefix's values.
    public var disk = 0.0
}

/// The cluster's memory at one moment (summed over workers).
public struct MemorySample: Sendable, Codable, Equatable {
    public var time: Double
    public var managed: UInt64
    public var unmanaged: UInt64
    public var spilled: UInt64
}

/// What the scheduler remembers for the dashboard, `/metrics` and performance reports: the
/// recent task stream, time per function, and memory over time. Bounded: old entries go.
struct ClusterDiagnostics: Sendable {
    let streamCapacity: Int
    let memoryCapacity: Int
    private(set) var stream: [TaskStreamEntry] = []
    private var streamHead = 0
    private(set) var nextSequence = 0
    private var functions: [String: FunctionProfile] = [:]
    /// Each live worker's latest totals by prefix, and those of workers gone.
    private var workerPhases: [String: [String: PhaseTotals]] = [:]
    private var departedPhases: [String: PhaseTotals] = [:]
    private(set) var memory: [MemorySample] = []
    private var memoryHead = 0

    init(streamCapacity: Int = 20_000, memoryCapacity: Int = 7_200) {
        self.streamCapacity = max(1, streamCapacity)
        self.memoryCapacity = max(1, memoryCapacity)
    }

    mutating func taskFinished(key: Key, worker: String, seconds: Double, timing: TaskTiming) {
        let prefix = key.prefix
        functions[prefix, default: FunctionProfile()].tasks += 1
        functions[prefix, default: FunctionProfile()].compute += max(0, seconds - timing.serializationSeconds)
        functions[prefix, default: FunctionProfile()].serialization += timing.serializationSeconds
        let entry = TaskStreamEntry(
            sequence: nextSequence, key: key.description, prefix: prefix, worker: worker, thread: timing.thread,
            start: timing.startedAt, stop: timing.startedAt + seconds, serialization: timing.serializationSeconds)
        nextSequence += 1
        if stream.count < streamCapacity {
            stream.append(entry)
        } else {
            stream[streamHead] = entry
            streamHead = (streamHead + 1) % streamCapacity
        }
    }

    mutating func heartbeat(_ worker: String, phases: [String: PhaseTotals]) {
        workerPhases[worker] = phases
    }

    mutating func workerLeft(_ worker: String) {
        for (prefix, phase) in workerPhases.removeValue(forKey: worker) ?? [:] {
            departedPhases[prefix, default: PhaseTotals()].add(phase)
        }
    }

    mutating func sampleMemory(_ sample: MemorySample) {
        if memory.count < memoryCapacity {
            memory.append(sample)
        } else {
            memory[memoryHead] = sample
            memoryHead = (memoryHead + 1) % memoryCapacity
        }
    }

    /// Stream entries with a sequence number of at least `first`, oldest first (at most `limit`,
    /// the newest of them).
    func streamEntries(from first: Int, limit: Int = .max) -> [TaskStreamEntry] {
        // Sequences are consecutive, so the oldest kept entry says where `first` sits.
        let oldest = nextSequence - stream.count
        let skip = min(max(0, first - oldest), stream.count)
        let count = min(stream.count - skip, max(0, limit))
        guard count > 0 else { return [] }
        let startIndex = stream.count - count  // the newest `count` of those from `first` on
        let ringStart = stream.count < streamCapacity ? 0 : streamHead
        return (startIndex..<stream.count).map { stream[(ringStart + $0) % stream.count] }
    }

    /// Memory samples from `since` (seconds since 1970) on, oldest first.
    func memorySamples(since: Double = 0) -> [MemorySample] {
        let ordered = memory.count < memoryCapacity ? memory : Array(memory[memoryHead...] + memory[..<memoryHead])
        return ordered.filter { $0.time >= since }
    }

    /// Time per function (by key prefix): compute and (de)serialisation from the tasks,
    /// transfer and disk from the workers' totals.
    func profile() -> [String: FunctionProfile] {
        var profile = functions
        var phases = departedPhases
        for worker in workerPhases.values {
            for (prefix, phase) in worker { phases[prefix, default: PhaseTotals()].add(phase) }
        }
        for (prefix, phase) in phases {
            profile[prefix, default: FunctionProfile()].transfer = phase.transferSeconds
            profile[prefix, default: FunctionProfile()].transferBytes = phase.transferBytes
            profile[prefix, default: FunctionProfile()].disk = phase.diskSeconds
        }
        return profile
    }
}

extension PhaseTotals {
    mutating func add(_ other: PhaseTotals) {
        transferSeconds += other.transferSeconds
        transferBytes += other.transferBytes
        diskSeconds += other.diskSeconds
    }
}

/// What the scheduler recorded over a stretch of time, for a performance report.
public struct DiagnosticsSnapshot: Sendable, Codable {
    public var time: Double
    /// The sequence number the next task-stream entry will get.
    public var nextSequence: Int
    public var stream: [TaskStreamEntry]
    /// Totals since the scheduler started (a report subtracts those at its start).
    public var profile: [String: FunctionProfile]
    public var memory: [MemorySample]
    public var logs: [LogRecord]
    public var workers: [DashboardSnapshot.Worker]
    public var waitingTasks: Int
}
