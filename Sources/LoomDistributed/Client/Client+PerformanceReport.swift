import Foundation
import LoomCore

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
        let end = try await diagnostics(streamFrom: Int64(start.nextSequence), since: start.time)
        let report = PerformanceReport(title: title, start: start, end: end)
        do {
            try report.html().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LoomError(.configuration, "cannot write the performance report to \(path): \(error)")
        }
        return try outcome.get()
    }

    private func diagnostics(streamFrom: Int64, since: Double) async throws -> DiagnosticsSnapshot {
        guard case .diagnostics(_, let json) = try await connection.request({ .diagnosticsRequest(request: $0, streamFrom: streamFrom, since: since) }) else {
            throw TransportError("the scheduler sent an unexpected reply to a diagnostics request")
        }
        return try JSONDecoder().decode(DiagnosticsSnapshot.self, from: Data(json))
    }
}
