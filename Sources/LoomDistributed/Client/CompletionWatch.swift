import LoomCore
import Synchronization

/// The keys of one `asCompleted` in the order they settle: the client's connection delivers
/// each key as it settles, and the stream's consumer takes them in its own task. The
/// connection holds it weakly, so a stream its consumer dropped is simply forgotten.
final class CompletionWatch: Sendable {
    private struct State {
        var settled: [Key] = []
        var taken = 0
        var remaining: Int
        var wakeup: Wakeup?
        var registered = false
    }

    let keys: [Key]
    private let state: Mutex<State>

    /// A key given twice (two futures of one key) is delivered twice.
    init(keys: [Key]) {
        self.keys = keys
        state = Mutex(State(remaining: keys.count))
    }

    /// The first call for this watch, who then registers it with the connection.
    func claimRegistration() -> Bool {
        state.withLock { state in
            defer { state.registered = true }
            return !state.registered
        }
    }

    func deliver(_ key: Key) {
        let wakeup = state.withLock { state in
            state.settled.append(key)
            state.remaining -= 1
            defer { state.wakeup = nil }
            return state.wakeup
        }
        wakeup?.wake()
    }

    /// The next key to settle; nil once all have been taken, or when the task is cancelled.
    func next() async -> Key? {
        while !Task.isCancelled {
            let (key, wakeup) = state.withLock { state -> (Key?, Wakeup?) in
                if state.taken < state.settled.count {
                    state.taken += 1
                    return (state.settled[state.taken - 1], nil)
                }
                guard state.remaining > 0 else { return (nil, nil) }
                let wakeup = Wakeup()
                state.wakeup = wakeup
                return (nil, wakeup)
            }
            if let key { return key }
            guard let wakeup else { return nil }
            await wakeup.wait()
        }
        return nil
    }
}
