import Synchronization

/// A suspension that whoever comes first ends, once: the event it waits for, or its task's
/// cancellation. A cancellation handler is synchronous and cannot reach an actor; it can wake
/// this, so nothing needs a task of its own to end a wait.
final class Wakeup: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, woken: Bool)>((nil, false))

    /// Returns once `wake()` was called (before or after), or at once if the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.woken { return true }
                    state.continuation = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    func wake() {
        let continuation = state.withLock { state in
            state.woken = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
