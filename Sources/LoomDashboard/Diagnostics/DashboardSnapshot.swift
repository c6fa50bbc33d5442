import Foundation
import LoomDistributed

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

extension DashboardSnapshot.Worker {
    init(_ status: WorkerStatus) {
        self.init(
            name: status.name, address: status.address, threads: status.threads, memoryLimit: status.memoryLimit,
            managed: status.metrics.managedBytes, unmanaged: status.metrics.unmanagedBytes, spilled: status.metrics.spilledBytes,
            processing: status.processing, occupancy: status.occupancy, inMemory: status.inMemory, paused: status.paused,
            lastSeen: status.lastSeen)
    }
}
