import LoomCore
import Logging
import LoomLocal
import Synchronization

/// When `Client.wait` returns: once every future is done, or once any one is.
public enum WaitCondition: Sendable {
    case allCompleted
    case firstCompleted
}

// Waiting for many futures at once, cancelling them: Dask's `wait`, `as_completed`, `cancel`.
// A future is done once it is finished, erred, cancelled or lost.
extension Client {
    /// Waits until the futures are done (or, with `.firstCompleted`, until one is) and splits
    /// them into done and not done. Throws a `.timeout` error naming how many are not done if
    /// `timeout` passes first.
    @discardableResult
    public func wait<Value>(
        _ futures: [Future<Value>], timeout: Duration? = nil, returnWhen condition: WaitCondition = .allCompleted
    ) async throws -> (done: [Future<Value>], notDone: [Future<Value>]) {
        let connection = connection
        let keys = futures.map(\.key)
        let completed = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                switch condition {
                case .allCompleted:
                    for key in keys { _ = await connection.status(of: key) }
                case .firstCompleted:
                    await withTaskGroup(of: Void.self) { any in
                        for key in keys { any.addTask { _ = await connection.status(of: key) } }
                        await any.next()
                        any.cancelAll()
                    }
                }
                return !Task.isCancelled
            }
            if let timeout {
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return false
                }
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
        let settled = await connection.settled(keys)
        let done = futures.filter { settled.contains($0.key) }
        let notDone = futures.filter { !settled.contains($0.key) }
        let enough = condition == .allCompleted ? notDone.isEmpty : (!done.isEmpty || futures.isEmpty)
        if !completed && !enough, let timeout {
            throw LoomError(.timeout, "\(notDone.count) of \(futures.count) futures were not done after \(timeout)", key: notDone.first?.key)
        }
        return (done, notDone)
    }

    /// The futures in the order they finish (or err, or are cancelled), like Dask's
    /// `as_completed`: `for await future in client.asCompleted(futures) { … }`, or with their
    /// results, `for try await (future, value) in client.asCompleted(futures).withResults`.
    public func asCompleted<Value>(_ futures: [Future<Value>]) -> AsCompleted<Value> {
        let connection = connection
        let waiting = Mutex(Dictionary(grouping: futures, by: \.key))
        let watch = CompletionWatch(keys: futures.map(\.key))
        // Runs in the consumer's task: nothing is computed ahead of it, nothing outlives it.
        return AsCompleted(futures: AsyncStream(unfolding: {
            if watch.claimRegistration() { await connection.register(watch) }
            guard let key = await watch.next() else { return nil }
            return waiting.withLock { $0[key]?.popLast() }
        }))
    }

    /// Stops computing the futures' keys and what this client wants that depends on them; their
    /// `result()` then throws a `.cancelled` error. Other clients' interest keeps shared work alive.
    /// Computes the erred futures among these again (see `Future.retry`).
    public func retry<Value>(_ futures: [Future<Value>]) async throws {
        try await connection.retry(futures.map(\.key))
    }

    public func cancel<Value>(_ futures: [Future<Value>]) async throws {
        try await connection.cancel(futures.map(\.key))
    }

    /// Runs the futures' tasks to the end even once every future (and this client) is gone,
    /// as Dask's `fire_and_forget`: the scheduler wants each until it is done, then drops it.
    /// It returns at once; the request goes out before the futures can be released, and
    /// before `close()` says goodbye.
    public func fireAndForget<Value>(_ futures: Future<Value>...) { fireAndForget(futures) }

    public func fireAndForget<Value>(_ futures: [Future<Value>]) {
        let connection = connection
        sendsBeforeClosing.start {
            // The futures live until the request is sent, so their release cannot overtake it.
            defer { withExtendedLifetime(futures) {} }
            do {
                try await connection.fireAndForget(futures.map(\.key))
            } catch {
                Logger.loom("loom.client").warning("fire-and-forget was not sent; the tasks stop once nothing wants them",
                                                   metadata: ["error": "\(error)", "keys": "\(futures.map(\.key))"])
            }
        }
    }
}

extension Client {
    /// Waits for the futures while drawing a terminal progress bar, like Dask's `progress`:
    /// `[####################                    ] |  50% Completed |  1.2s`. The bar shows only
    /// on a terminal, after `ProgressBar.minimum` seconds; errors are for `result()` to report.
    public func progress<Value>(_ futures: [Future<Value>], bar: ProgressBar = ProgressBar()) async {
        let counter = ProgressCounter(total: futures.count)
        let stop = bar.watch(counter)
        for await _ in asCompleted(futures) { counter.add(1) }
        stop()
    }
}

extension Client {
    /// Waits until at least `count` workers are connected (Dask's `wait_for_workers`): after a
    /// job-queue cluster's `scale(jobs:)`, until the batch system has started them. Throws a
    /// `.timeout` error saying how many joined if `timeout` passes first.
    public func waitForWorkers(_ count: Int, timeout: Duration? = nil) async throws {
        let started = ContinuousClock.now
        let deadline = timeout.map { started + $0 }
        while true {
            let joined = try await schedulerInfo().count
            if joined >= count { return }
            if let deadline, let timeout, ContinuousClock.now >= deadline {
                throw LoomError(.timeout, "only \(joined) of \(count) workers joined within \(timeout)")
            }
            // Every 10 ms for the first 2 s (workers asked for a moment ago often join then), then
            // every 100 ms as Dask does: a long wait for queued jobs costs the scheduler little.
            try await Task.sleep(for: ContinuousClock.now - started < .seconds(2) ? .milliseconds(10) : .milliseconds(100))
        }
    }
}
