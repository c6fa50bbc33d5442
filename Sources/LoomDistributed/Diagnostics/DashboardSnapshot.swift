import Foundation

/// What the dashboard shows at one moment; also the JSON of `/api/status`.
public struct DashboardSnapshot: Sendable, Codable {
    public struct Worker: Sendable, Codable, Equatable {
        public var name: String
        public var address: String
        public var threads: Int
        public var memoryLimit: UInt64
        public var managed: UInt64
        public var unmanaged: UInt64
        public var spilled: UInt64
        public var processing: Int
        /// Expected seconds of work processing there.
        public var occupancy: Double
        public var inMemory: Int
        public var paused: Bool
        /// Seconds since the scheduler last heard from it.
        public var lastSeen: Double
    }

    public struct System: Sendable, Codable, Equatable {
        /// The scheduler process's CPU use since the last sample, in percent of one core.
        public var cpuPercent: Double
        public var residentBytes: UInt64
        public var uptime: Double
    }

    public var time: Double
    public var workers: [Worker]
    public var progress: [String: FunctionProgress]
    /// Tasks by state, all functions together.
    public var tasks: [String: Int]
    public var stream: [TaskStreamEntry]
    public var adaptiveTarget: Int
    public var system: System
}

/// CPU and memory of this process, from `/proc/self`.
struct ProcessSampler: Sendable {
    private var lastCPU: Double = ProcessSampler.cpuSeconds()
    private var lastTime = ContinuousClock.now
    let started = ContinuousClock.now

    /// CPU seconds (user + system) this process has used.
    static func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    mutating func sample() -> DashboardSnapshot.System {
        let now = ContinuousClock.now, cpu = Self.cpuSeconds()
        let elapsed = (now - lastTime) / .seconds(1)
        let percent = elapsed > 0 ? (cpu - lastCPU) / elapsed * 100 : 0
        lastCPU = cpu
        lastTime = now
        return DashboardSnapshot.System(
            cpuPercent: max(0, percent), residentBytes: ProcessMemory.residentBytes() ?? 0, uptime: (now - started) / .seconds(1))
    }
}

extension SchedulerServer {
    /// The dashboard's view now, with task-stream entries from sequence `streamFrom` on. With
    /// `shared` (live updates), the rest is computed at most every 250 ms and shared, however
    /// many pages are open.
    func dashboardSnapshot(streamFrom: Int, streamLimit: Int = 5_000, shared: Bool = false) -> DashboardSnapshot {
        let now = ContinuousClock.now
        var snapshot: DashboardSnapshot
        if shared, let (taken, cached) = cachedSnapshot, now - taken < .milliseconds(250) {
            snapshot = cached
        } else {
            snapshot = freshSnapshot(now: now)
            cachedSnapshot = (now, snapshot)
        }
        snapshot.stream = diagnostics.streamEntries(from: streamFrom, limit: streamLimit)
        return snapshot
    }

    private func freshSnapshot(now: ContinuousClock.Instant) -> DashboardSnapshot {
        let workers = core.workerIDs.compactMap { id -> DashboardSnapshot.Worker? in
            guard let info = core.workerInfo(id) else { return nil }
            let metrics = workerMetrics[id] ?? WorkerMetrics()
            return DashboardSnapshot.Worker(
                name: info.spec.name, address: info.spec.address, threads: info.spec.nthreads,
                memoryLimit: UInt64(max(0, info.spec.memoryLimit)), managed: metrics.managedBytes, unmanaged: metrics.unmanagedBytes,
                spilled: metrics.spilledBytes, processing: info.processing, occupancy: info.occupancy, inMemory: info.keys,
                paused: info.paused, lastSeen: lastHeard[id].map { (now - $0) / .seconds(1) } ?? 0)
        }
        var tasks: [String: Int] = [:]
        for state in TaskState.allCases where state != .forgotten { tasks["\(state)"] = core.count(of: state) }
        return DashboardSnapshot(
            time: Date().timeIntervalSince1970, workers: workers, progress: core.progressByFunction(), tasks: tasks,
            stream: [], adaptiveTarget: core.adaptiveTarget(targetDuration: 5), system: processSampler.sample())
    }
}
