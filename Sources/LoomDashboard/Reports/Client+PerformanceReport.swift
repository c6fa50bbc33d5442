import Foundation
import LoomCore
import LoomDistributed

extension Client {
    /// Runs `body` and writes one standalone HTML file about the work the cluster did meanwhile
    /// (Dask's `performance_report`): task stream, time per function, transfer bandwidth,
    /// memory over time, the scheduler's logs and the leading bottlenecks. The file opens
    /// offline. It is written even if `body` throws.
    @discardableResult
    public func performanceReport<Result>(to path: String, title: String = "Loom performance report",
                                          _ body: () async throws -> Result) async throws -> Result {
        let start = try await diagnostics(streamFrom: .max, since: Date().timeIntervalSince1970)
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        // Workers send their transfer and disk totals with each heartbeat (every 0.5 s).
        try await Task.sleep(for: .milliseconds(600))
        let end = try await diagnostics(streamFrom: start.nextSequence, since: start.time)
        let report = PerformanceReport(title: title, start: start, end: end)
        do {
            try report.html().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LoomError(.configuration, "cannot write the performance report to \(path): \(error)")
        }
        return try outcome.get()
    }

    private func diagnostics(streamFrom: Int, since: Double) async throws -> DiagnosticsSnapshot {
        let request = Array(try JSONEncoder().encode(DiagnosticsRequest(streamFrom: streamFrom, since: since)))
        let answer: [UInt8]
        do {
            answer = try await pluginRequest("diagnostics", payload: request)
        } catch let error as LoomError where error.code == .plugin {
            throw LoomError(.plugin, "a performance report needs the scheduler's diagnostics plugin (Loom.bootstrap installs it): \(error.message)")
        }
        return try JSONDecoder().decode(DiagnosticsSnapshot.self, from: Data(answer))
    }
}
