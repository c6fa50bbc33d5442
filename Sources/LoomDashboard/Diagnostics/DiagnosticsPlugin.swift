import Foundation
import LoomCore
import LoomDistributed
import Synchronization

/// The scheduler plugin that records what the dashboard and performance reports show: the task
/// stream, time per function and memory over time (`ClusterDiagnostics`). Clients ask it for a
/// `DiagnosticsSnapshot` through `Client.pluginRequest("diagnostics", …)`.
public final class DiagnosticsPlugin: SchedulerPlugin {
    public let name = "diagnostics"
    /// How often the cluster's memory is sampled for the memory-over-time chart.
    static let memoryInterval: Duration = .milliseconds(500)
    let recorded = Mutex(ClusterDiagnostics())
    private let session = Mutex<SchedulerServer?>(nil)

    public init() {}

    var scheduler: SchedulerServer? { session.withLock { $0 } }

    public func start(_ scheduler: SchedulerServer) async throws {
        session.withLock { $0 = scheduler }
    }

    /// Samples the cluster's memory for the dashboard's memory-over-time plot.
    public func run(_ scheduler: SchedulerServer) async {
        while !Task.isCancelled {
            let workers = await scheduler.workerStatuses().map(\.metrics)
            recorded.withLock { $0.sampleMemory(MemorySample(
                time: Date().timeIntervalSince1970, managed: workers.reduce(0) { $0 + $1.managedBytes },
                unmanaged: workers.reduce(0) { $0 + $1.unmanagedBytes }, spilled: workers.reduce(0) { $0 + $1.spilledBytes })) }
            try? await Task.sleep(for: Self.memoryInterval)
        }
    }

    public func close() async {
        session.withLock { $0 = nil }
    }

    public func transition(_ transition: TaskTransition) {
        guard transition.start == .processing, transition.finish == .memory, let run = transition.run else { return }
        recorded.withLock { $0.taskFinished(key: transition.key, worker: transition.worker ?? "?", seconds: run.seconds, timing: run.timing) }
    }

    public func heartbeat(_ worker: String, metrics: WorkerMetrics) {
        recorded.withLock { $0.heartbeat(worker, phases: metrics.phases) }
    }

    public func workerRemoved(_ name: String, lost: Bool) {
        recorded.withLock { $0.workerLeft(name) }
    }

    /// A request: `DiagnosticsRequest` as JSON; the answer: a `DiagnosticsSnapshot` as JSON.
    public func handle(request payload: [UInt8]) async throws -> [UInt8] {
        let request = try JSONDecoder().decode(DiagnosticsRequest.self, from: Data(payload))
        return Array(try JSONEncoder().encode(await snapshot(streamFrom: request.streamFrom, since: request.since)))
    }

    /// What was recorded: task-stream entries from sequence `streamFrom`, memory samples and
    /// log records from `since` (seconds since 1970), and every total.
    func snapshot(streamFrom: Int, since: Double) async -> DiagnosticsSnapshot {
        let workers = await scheduler?.workerStatuses() ?? []
        let counts = await scheduler?.taskCounts() ?? [:]
        return recorded.withLock { recorded in
            DiagnosticsSnapshot(
                time: Date().timeIntervalSince1970, nextSequence: recorded.nextSequence,
                stream: recorded.streamEntries(from: streamFrom), profile: recorded.profile(),
                memory: recorded.memorySamples(since: since), logs: LogBuffer.shared.recent().filter { $0.time >= since },
                workers: workers.map(DashboardSnapshot.Worker.init), waitingTasks: (counts[.queued] ?? 0) + (counts[.noWorker] ?? 0))
        }
    }
}

/// What a performance report asks the diagnostics plugin for.
struct DiagnosticsRequest: Codable {
    var streamFrom: Int
    var since: Double
}
