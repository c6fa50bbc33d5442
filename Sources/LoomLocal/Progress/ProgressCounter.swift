import Synchronization

/// How many of a computation's tasks have finished, updated by executors and read by a
/// progress display from another thread.
package final class ProgressCounter: Sendable {
    package let total: Int
    private let done = Atomic<Int>(0)

    package init(total: Int) { self.total = total }

    package func add(_ count: Int) { done.add(count, ordering: .relaxed) }
    /// For a count learned from elsewhere (a cluster's scheduler) rather than added up here.
    package func set(_ finished: Int) { done.store(finished, ordering: .relaxed) }
    package var finished: Int { done.load(ordering: .relaxed) }
}
