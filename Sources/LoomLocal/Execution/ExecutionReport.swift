import LoomCore

/// What a local executor hands back: the outputs and how the run went.
public struct ExecutionReport: Sendable {
    /// The results of the graph's outputs, in the order they were asked for.
    public var outputs: [any Sendable]
    /// Tasks run.
    public var tasks: Int
    /// The most task results held in memory at once (outputs included).
    public var peakHeldResults: Int
    public var seconds: Double
}

/// A task's error as the user sees it: the task's key, its function and the original message.
func taskFailure(_ error: any Error, graph: TaskGraph, task: Int) -> LoomError {
    if let error = error as? LoomError, error.key != nil { return error }
    let message = (error as? LoomError)?.message ?? String(describing: error)
    return LoomError(.taskFailed, message, key: graph.keys[task], function: graph.functions[task].name, underlying: error)
}
