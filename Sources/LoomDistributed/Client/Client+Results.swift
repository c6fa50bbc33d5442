import LoomCore

/// What `gather` does with a future that failed, was cancelled or was lost (Dask's `errors=`).
public enum GatherErrors: Sendable {
    /// Throw the first one's error (the default).
    case raise
    /// Leave it out: the results of the futures that finished, in their order.
    case skip
}

// Results as a Dask user reaches for them: gathering past failures, a result with a timeout,
// a callback once a future is done, where the results are held.
extension Client {
    /// The results of `futures`; with `errors: .skip`, of those that finished, the failed,
    /// cancelled and lost left out.
    public func gather<Value>(_ futures: [Future<Value>], errors: GatherErrors) async throws -> [Value] {
        switch errors {
        case .raise:
            return try await gather(futures)
        case .skip:
            let statuses = await connection.statuses(of: futures.map(\.key))
            if statuses.contains(where: \.isPending) { try Task.checkCancellation() }
            let finished = zip(futures, statuses).compactMap { future, status -> Future<Value>? in
                if case .memory = status { future } else { nil }
            }
            return try await gather(finished)
        }
    }

    /// The workers holding each future's result now (Dask's `who_has`): none for one not
    /// computed yet, or lost.
    public func whoHas<Value>(_ futures: [Future<Value>]) async throws -> [Key: [String]] {
        guard case .whoHasReply(_, let holders) = try await connection.request({ .whoHas(request: $0, keys: futures.map(\.key)) }) else {
            throw TransportError("the scheduler sent an unexpected reply")
        }
        return holders
    }
}

extension Future {
    /// The result, once there within `timeout`; else a `.timeout` error naming the key. The
    /// computation goes on.
    public func result(timeout: Duration) async throws -> Value {
        let (done, _) = try await client.wait([self], timeout: timeout)
        guard !done.isEmpty else { throw LoomError(.timeout, "the result was not ready within \(timeout)", key: key) }
        return try await result()
    }

    /// Calls `body` with the result (or the error) once the future is done (Dask's
    /// `add_done_callback`). The call keeps the future, and so its result, until then; the
    /// returned task ends after `body`, and cancelling it drops the call.
    @discardableResult
    public func onCompletion(_ body: @escaping @Sendable (Result<Value, any Error>) -> Void) -> Task<Void, Never> {
        Task {
            let outcome: Result<Value, any Error>
            do { outcome = .success(try await result()) } catch { outcome = .failure(error) }
            if case .failure(let error) = outcome, error is CancellationError { return }
            body(outcome)
        }
    }
}
