import Foundation
import Synchronization

/// Tests that load this machine heavily (twenty pods of worker processes) and tests whose
/// timing such load upsets (spilling under a memory limit, sampled every 100 ms) take turns:
/// each runs its body through `withMachineToItself`, one at a time in the test process, while
/// every other test runs in parallel as usual.
public func withMachineToItself<T>(_ body: () async throws -> T) async throws -> T {
    await MachineTurns.shared.acquire()
    do {
        let result = try await body()
        MachineTurns.shared.release()
        return result
    } catch {
        MachineTurns.shared.release()
        throw error
    }
}

/// An async lock: whoever asked first goes next.
final class MachineTurns: Sendable {
    static let shared = MachineTurns()
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
