import Foundation
import LoomCore

extension Client {
    /// The scheduler process's last `n` log records, oldest first (Dask's `get_scheduler_logs`).
    public func schedulerLogs(n: Int = 200) async throws -> [LogRecord] {
        guard case .logs(_, let records) = try await connection.request({ .logsRequest(request: $0, count: UInt64(max(0, n))) }) else {
            throw TransportError("the scheduler sent an unexpected reply to a logs request")
        }
        return records
    }

    /// Each worker's last `n` log records, by worker name (Dask's `get_worker_logs`).
    public func workerLogs(n: Int = 200, workers: [String] = []) async throws -> [String: [LogRecord]] {
        let targets = try await schedulerInfo().filter { workers.isEmpty || workers.contains($0.name) || workers.contains($0.address) }
        return try await withThrowingTaskGroup(of: (String, [LogRecord]).self) { group in
            for worker in targets {
                group.addTask { [peers] in
                    let reply = try await peers.request({ .logsRequest(request: $0, count: UInt64(max(0, n))) }, to: worker.address)
                    guard case .logs(_, let records) = reply else {
                        throw TransportError("worker \(worker.name) answered a logs request with something else")
                    }
                    return (worker.name, records)
                }
            }
            var logs: [String: [LogRecord]] = [:]
            for try await (name, records) in group { logs[name] = records }
            return logs
        }
    }
}
