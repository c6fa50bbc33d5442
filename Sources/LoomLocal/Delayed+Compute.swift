import LoomCore

extension Delayed {
    /// Runs the graph behind this value and returns it.
    /// - Parameters:
    ///   - scheduler: where to run; nil uses the newest distributed `Client` if there is one
    ///     (`DefaultGraphRunner`), else the configured default (`local.scheduler`, threads).
    ///   - progress: a bar to draw while it runs (silent when not on a terminal).
    public func compute(scheduler: Scheduler? = nil, progress: ProgressBar? = nil) async throws -> Value {
        let report = try await graph().execute(on: scheduler, progress: progress)
        return try cast(report.outputs[0], to: Value.self, key: key)
    }
}

/// Computes several values in one run, sharing the work they have in common:
/// `let (total, count) = try await compute(sum, n)`.
public func compute<each Value>(
    _ values: repeat Delayed<each Value>, scheduler: Scheduler? = nil, progress: ProgressBar? = nil
) async throws -> (repeat each Value) {
    var nodes: [TaskNode] = []
    for value in repeat each values { nodes.append(value.node) }
    let outputs = try await TaskGraph(outputs: nodes).execute(on: scheduler, progress: progress).outputs
    var position = 0
    func next<V>(_ value: Delayed<V>) throws -> V {
        defer { position += 1 }
        return try cast(outputs[position], to: V.self, key: value.key)
    }
    return (repeat try next(each values))
}

/// Computes a list of values of one type in one run, sharing common work.
public func compute<Value>(_ values: [Delayed<Value>], scheduler: Scheduler? = nil, progress: ProgressBar? = nil) async throws -> [Value] {
    let outputs = try await TaskGraph(outputs: values.map(\.node)).execute(on: scheduler, progress: progress).outputs
    return try zip(outputs, values).map { try cast($0, to: Value.self, key: $1.key) }
}

private func cast<V>(_ value: any Sendable, to _: V.Type, key: Key) throws -> V {
    guard let typed = value as? V else {
        throw LoomError(.typeMismatch, "result should be \(V.self), got \(type(of: value))", key: key)
    }
    return typed
}
