import Foundation
import Loom

/// Waits until `condition` holds — the event a test means (a state, a message, a file) —
/// checking every `interval`; throws naming `what` if it has not happened within `timeout`.
/// The timeout only guards against a test hanging for ever; it is never what the test checks.
public func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw LoomError(.timeout, "gave up after \(timeout) waiting for \(what())")
        }
        try await Task.sleep(for: interval)
    }
}
