import Synchronization

/// How many of a computation's tasks have finished, updated by executors and read by a
/// progress display from another thread.
final class ProgressCounter: Sendable {
    let total: Int
    private let done = Atomic<Int>(0)

    init(total: Int) { self.total = total }

    func add(_ count: Int) { done.add(count, ordering: .relaxed) }
    var finished: Int { done.load(ordering: .relaxed) }
}
