import Synchronization

/// Requests a client started without waiting for them (`fireAndForget`), so that closing
/// waits for them instead of saying goodbye first.
final class PendingSends: Sendable {
    private let running = Mutex<(next: Int, tasks: [Int: Task<Void, Never>])>((0, [:]))

    func start(_ send: @escaping @Sendable () async -> Void) {
        running.withLock { running in
            let id = running.next
            running.next += 1
            running.tasks[id] = Task { [self] in
                await send()
                self.running.withLock { _ = $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// Waits for every request started so far.
    func finish() async {
        for task in running.withLock({ Array($0.tasks.values) }) { await task.value }
    }
}
