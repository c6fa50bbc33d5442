import LoomCore

extension Client {
    /// Calls `function` once on every worker (or on those named in `workers`), right away and
    /// beside the tasks they run, like Dask's `client.run`; returns each worker's answer by its
    /// address. A call that throws on any worker throws, naming the worker and the message.
    public func run<each Argument: Codable & Sendable, Result: Codable & Sendable>(
        _ function: TaskFunction<repeat each Argument, Result>, _ arguments: repeat each Argument, workers: [String] = []
    ) async throws -> [String: Result] {
        var encoded: [[UInt8]] = []
        for argument in repeat each arguments { encoded.append(try ValueCodec.encode(argument)) }
        let targets = try await workerAddresses(named: workers)
        let name = function.name
        return try await withThrowingTaskGroup(of: (String, Result).self) { group in
            for worker in targets {
                group.addTask { [peers, encoded] in
                    (worker, try PeerCalls.decode(Result.self, try await peers.call(name, arguments: encoded, on: worker), from: worker, function: name))
                }
            }
            var answers: [String: Result] = [:]
            for try await (worker, answer) in group { answers[worker] = answer }
            return answers
        }
    }
}
