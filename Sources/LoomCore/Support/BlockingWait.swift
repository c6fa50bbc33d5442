import Dispatch
import Synchronization

/// Runs `body` to its end from a thread of its own — a task body (synchronous; the thread is
/// the task's, so blocking it holds up nothing else) or a reader thread — and returns what it
/// returned or throws what it threw. Never call it on Swift's cooperative threads.
public func blockingWait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let value = try await body()
            outcome.withLock { $0 = .success(value) }
        } catch {
            outcome.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try outcome.withLock { $0! }.get()
}
