import Foundation
import LoomCore

// The scheduler's side of the dashboard: starting it, and what its pages ask for that is not
// in a snapshot (metrics text, worker logs).

extension SchedulerServer {
    /// The dashboard to serve, if the options ask for one.
    func dashboardServer() throws -> DashboardServer? {
        guard let requested = options.dashboardAddress else { return nil }
        let parts = requested.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw LoomError(.configuration, "dashboard address '\(requested)' is not HOST:PORT or :PORT")
        }
        let host = parts[0].isEmpty ? options.host : String(parts[0])
        return DashboardServer(scheduler: self, host: host, port: port)
    }

    /// Runs the dashboard; on a busy default port (8787), on a free one instead, as Dask does.
    /// A dashboard that fails never takes the scheduler down with it: the error is logged.
    func serve(_ dashboard: DashboardServer) async {
        do {
            do {
                try await dashboard.run { port in await self.dashboardBound(host: dashboard.host, port: port) }
            } catch where dashboardLink == nil && dashboard.port == 8787 && !Task.isCancelled {
                logger.warning("port 8787 is busy; the dashboard takes a free port")
                try await DashboardServer(scheduler: self, host: dashboard.host, port: 0).run { port in
                    await self.dashboardBound(host: dashboard.host, port: port)
                }
            }
        } catch {
            if dashboardLink == nil { dashboardFailure = "\(error)" }
            if !Task.isCancelled { logger.error("the dashboard stopped: \(error)") }
        }
    }

    /// The graph for `/api/graph`, or how many tasks there are if too many to draw.
    func graph(limit: Int) -> (view: GraphView?, tasks: Int) {
        (core.graphView(limit: limit), core.taskCount)
    }

    func profile() -> [String: FunctionProfile] { diagnostics.profile() }

    func streamEntries(from first: Int) -> [TaskStreamEntry] { diagnostics.streamEntries(from: first) }

    private func dashboardBound(host: String, port: Int) {
        let shown = host == "0.0.0.0" ? (ProcessInfo.processInfo.hostName) : host
        let link = "http://\(shown):\(port)/status"
        boundDashboard.withLock { $0 = link }
        logger.info("dashboard at \(link)")
    }

    /// `/metrics`: Prometheus text, agreeing with the state at this moment.
    func metricsText() -> String {
        let transferred = diagnostics.profile().values.reduce(0) { $0 + $1.transferBytes }
        return metrics.exposition(dashboardSnapshot(streamFrom: .max), transferBytes: transferred)
    }

    /// A worker's recent log records, asked of the worker.
    func workerLogs(_ name: String, count: Int) async throws -> [LogRecord] {
        guard let id = workerNames.first(where: { $0.value == name })?.key, let address = workerAddresses[WorkerID(id)] else {
            throw LoomError(.configuration, "no worker is named '\(name)'")
        }
        guard case .logs(_, let records) = try await peers.request({ .logsRequest(request: $0, count: UInt64(max(0, count))) }, to: address) else {
            throw TransportError("worker \(name) answered a logs request with something else")
        }
        return records
    }
}
