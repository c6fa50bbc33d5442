import Synchronization

/// What runs as long as a cluster object does — its scheduler, its in-process workers and
/// nannies, adaptive scaling, a batch system's polling, a pod watch — as children of one task
/// group: none outlives `close()`, dropping the cluster cancels them all, and each can still be
/// stopped alone (`ClusterTask.stop`).
///
/// The group's root is the one unstructured task a cluster has: a cluster lives from `init` to
/// `close()` (Dask's shape, and `Cluster`'s API), not inside a caller's scope, so no caller's
/// task group can hold its children. Run as a `Service`, the cluster waits in the caller's task.
package final class ClusterTasks: Sendable {
    private struct Job: Sendable {
        let handle: ClusterTask
        let body: @Sendable () async -> Void
    }

    private let jobs: AsyncStream<Job>.Continuation
    private let root: Task<Void, Never>

    package init() {
        let (stream, jobs) = AsyncStream.makeStream(of: Job.self)
        self.jobs = jobs
        root = Task {
            await withDiscardingTaskGroup { group in
                for await job in stream {
                    group.addTask { await job.handle.run(job.body) }
                }
            }
        }
    }

    /// Runs `body` as a child of the group until it returns, its handle stops it, or the group
    /// closes. After `close()` nothing starts: the handle is finished at once.
    @discardableResult
    package func start(_ body: @escaping @Sendable () async -> Void) -> ClusterTask {
        let handle = ClusterTask()
        if case .terminated = jobs.yield(Job(handle: handle, body: body)) { handle.finish() }
        return handle
    }

    /// Cancels every child and returns once they have all ended.
    package func close() async {
        jobs.finish()
        root.cancel()
        await root.value
    }

    deinit {
        jobs.finish()
        root.cancel()
    }
}

/// One child of a cluster's `ClusterTasks`.
package final class ClusterTask: Sendable {
    private let stopRequested = Wakeup()
    private let ended = Mutex<(done: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    /// Runs `body` until it returns or `cancel()` cancels it.
    fileprivate func run(_ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            // Ends on cancel(), or once the group cancels it when the body has returned.
            group.addTask { await self.stopRequested.wait() }
            await group.next()
            group.cancelAll()
        }
        finish()
    }

    fileprivate func finish() {
        let waiting = ended.withLock { state in
            state.done = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Cancels the body (it ends at its next cancellation point); returns at once.
    package func cancel() { stopRequested.wake() }

    /// Returns once the body has ended.
    package func value() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = ended.withLock { state in
                if state.done { return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Cancels the body and returns once it has ended.
    package func stop() async {
        cancel()
        await value()
    }
}
