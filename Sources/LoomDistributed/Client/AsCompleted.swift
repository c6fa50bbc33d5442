/// Futures in the order they are done (`Client.asCompleted`).
public struct AsCompleted<Value: Codable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Future<Value>
    let futures: AsyncStream<Future<Value>>

    public func makeAsyncIterator() -> AsyncStream<Future<Value>>.AsyncIterator { futures.makeAsyncIterator() }

    /// Each future with its result as it is done (Dask's `with_results=True`); a failed one
    /// throws its error there.
    public var withResults: WithResults { WithResults(futures: futures) }

    public struct WithResults: AsyncSequence, Sendable {
        public typealias Element = (Future<Value>, Value)
        let futures: AsyncStream<Future<Value>>

        public struct AsyncIterator: AsyncIteratorProtocol {
            var futures: AsyncStream<Future<Value>>.AsyncIterator

            public mutating func next() async throws -> (Future<Value>, Value)? {
                guard let future = await futures.next() else { return nil }
                return (future, try await future.result())
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(futures: futures.makeAsyncIterator()) }
    }
}
