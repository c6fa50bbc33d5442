import Foundation
import LoomCore

/// One worker as the scheduler sees it now, for plugins and the dashboard.
public struct WorkerStatus: Sendable, Equatable {
    public var name: String
    public var address: String
    public var threads: Int
    public var memoryLimit: UInt64
    /// Tasks sent to it and not finished.
    public var processing: Int
    /// Expected seconds of the work processing there.
    public var occupancy: Double
    /// Keys it holds, in memory or spilled.
    public var inMemory: Int
    public var paused: Bool
    /// Seconds since the scheduler last heard from it.
    public var lastSeen: Double
    /// Its last heartbeat.
    public var metrics: WorkerMetrics
}

// What plugins (the dashboard first) read of the scheduler: workers, tasks, the graph, logs.

extension SchedulerServer {
    /// Every connected worker, in the order they joined.
    public func workerStatuses() -> [WorkerStatus] {
        let now = ContinuousClock.now
        return core.workerIDs.compactMap { id in
            core.workerInfo(id).map { info in
                WorkerStatus(
                    name: info.spec.name, address: info.spec.address, threads: info.spec.nthreads,
                    memoryLimit: UInt64(max(0, info.spec.memoryLimit)), processing: info.processing, occupancy: info.occupancy,
                    inMemory: info.keys, paused: info.paused,
                    lastSeen: connections[id.rawValue]?.worker.map { (now - $0.lastHeard) / .seconds(1) } ?? 0,
                    metrics: connections[id.rawValue]?.worker?.metrics ?? WorkerMetrics())
            }
        }
    }

    /// How many tasks are in each state (forgotten ones are not counted: they are gone).
    public func taskCounts() -> [TaskState: Int] {
        var counts: [TaskState: Int] = [:]
        for state in TaskState.allCases where state != .forgotten { counts[state] = core.count(of: state) }
        return counts
    }

    /// Tasks by function and state.
    public func progressByFunction() -> [String: FunctionProgress] { core.progressByFunction() }

    /// The graph of every task the scheduler knows if there are at most `limit`, and how many
    /// there are.
    public func graph(limit: Int) -> (view: GraphView?, tasks: Int) {
        (core.graphView(limit: limit), core.taskCount)
    }

    /// A worker's recent log records, asked of the worker.
    public func workerLogs(_ name: String, count: Int) async throws -> [LogRecord] {
        guard let id = workerConnection(named: name), let address = connections[id]?.worker?.hello.address else {
            throw LoomError(.configuration, "no worker is named '\(name)'")
        }
        guard case .logs(_, let records) = try await peers.request({ .logsRequest(request: $0, count: UInt64(max(0, count))) }, to: address) else {
            throw TransportError("worker \(name) answered a logs request with something else")
        }
        return records
    }
}
