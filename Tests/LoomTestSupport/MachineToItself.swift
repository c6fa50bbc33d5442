import Foundation
import LoomDistributed

/// Tests that load this machine heavily (twenty pods of worker processes) and tests whose
/// timing such load upsets (spilling under a memory limit, sampled every 100 ms) take turns:
/// each runs its body through `withMachineToItself`, one at a time in the test process, while
/// every other test runs in parallel as usual.
public func withMachineToItself<T>(_ body: () async throws -> T) async throws -> T {
    try await machineTurns.run(body)
}

private let machineTurns = OneAtATime()
