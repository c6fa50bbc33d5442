import Foundation
import LoomCore

extension Client {
    /// Starts every worker afresh, like Dask's `restart`: all work on the cluster — every
    /// client's — is cancelled (pending and held futures say `.cancelled`), each worker process
    /// exits and its nanny starts a new one, and this returns once as many workers are back.
    ///
    /// Use it to clear leaked memory or state a task left in a worker. Workers without a nanny
    /// (`loom worker --no-nanny`) stop for good; the error names them.
    public func restart(timeout: Duration = .seconds(60)) async throws {
        let seconds = timeout / .seconds(1)
        guard case .restarted(_, let error) = try await connection.request({ .restart(request: $0, timeout: seconds) }) else {
            throw TransportError("the scheduler sent an unexpected reply to restart")
        }
        if let error { throw LoomError(.workerDied, "restart: \(error)") }
    }
}
