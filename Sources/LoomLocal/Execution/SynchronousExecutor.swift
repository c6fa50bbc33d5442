import LoomCore

/// Runs a graph one task at a time on the calling thread, in priority order: the scheduler to
/// debug with, since every task runs where a debugger or a print statement expects it.
struct SynchronousExecutor {
    let graph: TaskGraph
    let progress: ProgressCounter?

    func run(isCancelled: () -> Bool = { false }) throws(LoomError) -> ExecutionReport {
        let started = ContinuousClock.now
        var state = ExecutionState(graph: graph)
        var results = [(any Sendable)?](repeating: nil, count: graph.count)
        try results.withUnsafeMutableBufferPointer { (results) throws(LoomError) in
            try graph.inputs.withUnsafeBufferPointer { (inputs) throws(LoomError) in
                while let task = state.nextReady() {
                    if isCancelled() { throw LoomError(.cancelled, "the computation was cancelled") }
                    do {
                        var arguments = TaskArguments(graph: graph, task: Int(task), results: results.baseAddress!, inputs: inputs)
                        results[Int(task)] = try graph.functions[Int(task)].call(&arguments)
                    } catch {
                        throw taskFailure(error, graph: graph, task: Int(task))
                    }
                    state.finish(task) { results[Int($0)] = nil }
                    progress?.add(1)
                }
            }
        }
        return ExecutionReport(
            outputs: graph.outputs.map { results[Int($0)]! }, tasks: graph.count,
            peakHeldResults: state.peakHeldResults, seconds: (ContinuousClock.now - started).seconds)
    }
}
