import CoreMetrics
import Foundation
import LoomCore
import LoomDistributed
import Metrics
import Prometheus
import Synchronization

/// The scheduler plugin that keeps its metrics, with swift-metrics in a Prometheus registry of
/// its own, served as text at the dashboard's `/metrics`.
///
/// Task durations are recorded as tasks finish; everything else is set from the scheduler's
/// state when scraped, so the numbers agree with it at that moment.
public final class MetricsPlugin: SchedulerPlugin {
    public let name = "metrics"
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let workers: Metrics.Gauge
    private let erred: Metrics.Counter
    private let transferred: Metrics.Counter
    private let state = Mutex<(durations: [String: Metrics.Timer], transferred: UInt64)>(([:], 0))

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60),
        ]
        self.factory = factory
        workers = Metrics.Gauge(label: "loom_scheduler_workers", factory: factory)
        erred = Metrics.Counter(label: "loom_tasks_erred_total", factory: factory)
        transferred = Metrics.Counter(label: "loom_transfer_bytes_total", factory: factory)
    }

    public func transition(_ transition: TaskTransition) {
        guard transition.start == .processing else { return }
        switch transition.finish {
        case .memory: if let run = transition.run { taskFinished(prefix: transition.key.prefix, seconds: run.seconds) }
        case .erred: erred.increment()
        default: break
        }
    }

    private func taskFinished(prefix: String, seconds: Double) {
        let timer = state.withLock { state in
            if let timer = state.durations[prefix] { return timer }
            let timer = Metrics.Timer(label: "loom_task_duration_seconds", dimensions: [("function", prefix)], factory: factory)
            state.durations[prefix] = timer
            return timer
        }
        timer.recordSeconds(seconds)
    }

    /// Sets the gauges from the scheduler's state and returns the Prometheus text.
    func exposition(_ snapshot: DashboardSnapshot, transferBytes: UInt64) -> String {
        workers.record(snapshot.workers.count)
        for (name, count) in snapshot.tasks {
            Metrics.Gauge(label: "loom_scheduler_tasks", dimensions: [("state", name)], factory: factory).record(count)
        }
        let memory: [(String, UInt64)] = [
            ("managed", snapshot.workers.reduce(0) { $0 + $1.managed }),
            ("unmanaged", snapshot.workers.reduce(0) { $0 + $1.unmanaged }),
            ("spilled", snapshot.workers.reduce(0) { $0 + $1.spilled }),
        ]
        for (type, bytes) in memory {
            Metrics.Gauge(label: "loom_worker_memory_bytes", dimensions: [("type", type)], factory: factory).record(Double(bytes))
        }
        let increase = state.withLock { state -> UInt64 in
            defer { state.transferred = max(state.transferred, transferBytes) }
            return transferBytes > state.transferred ? transferBytes - state.transferred : 0
        }
        if increase > 0 { transferred.increment(by: Int64(clamping: increase)) }
        return registry.emitToString()
    }
}
