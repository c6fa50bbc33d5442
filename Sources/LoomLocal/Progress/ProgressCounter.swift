import Synchronization

/// How many of a computation's tasks have finished, updated by executors and read by a
/// progress display from another thread.
package final class ProgressCounter: Sendable {
    package let total: Int
    private let done = Atomic<Int>(0)

    package init(total: Int) { self.total = total }

    package func add(_ count: Int) { done.add(count, ordering: .relaxed) }
    package var finished: Int { done.load(ordering: .relaxed) }
}
