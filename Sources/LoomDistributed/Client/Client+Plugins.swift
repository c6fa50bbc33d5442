import Foundation
import LoomCore

extension Client {
    /// Sends `payload` to the scheduler plugin named `plugin` and returns its answer (a
    /// performance report asks the dashboard's `diagnostics` plugin this way). Throws with the
    /// plugin's error, or if the scheduler has no plugin of that name.
    public func pluginRequest(_ plugin: String, payload: [UInt8] = []) async throws -> [UInt8] {
        let reply = try await connection.request { .pluginRequest(request: $0, plugin: plugin, payload: payload) }
        guard case .pluginReply(_, let answer, let error) = reply else {
            throw TransportError("the scheduler sent an unexpected reply to a request for plugin '\(plugin)'")
        }
        if let error { throw LoomError(.plugin, error) }
        return answer
    }
}
