import LoomCore

extension TaskGraph {
    /// The graph as a client submits it: keys as text, literals encoded, task order kept; a
    /// task's own placement over `placement`, the submission's.
    /// Throws, naming the task, when a task is a local closure or a literal is not `Encodable`.
    func wireTasks(priority: Int64 = 0, retries: Int64 = 0, placement: TaskPlacement? = nil, resources: [String: Double] = [:]) throws
        -> (tasks: [WireTask], functions: [String: String])
    {
        var tasks: [WireTask] = []
        var functions: [String: String] = [:]
        tasks.reserveCapacity(count)
        for task in 0..<count {
            let function = self.functions[task]
            guard function.runsInOtherProcesses else {
                throw LoomError(
                    .unsupported, "a distributed cluster cannot run '\(function.name)': it is a local closure; use a registered TaskFunction",
                    key: keys[task], function: function.name)
            }
            functions[function.name] = function.signature
            func wire(_ input: GraphInput) throws -> WireArgument {
                switch input {
                case .dependency(let dependency): return .key(keys[Int(dependency)])
                case .existing(let key): return .key(key)
                case .list(let parts): return .list(try parts.map(wire))
                case .literal(let value):
                    guard let encodable = value as? any Encodable else {
                        throw LoomError(
                            .unsupported, "an argument of type \(type(of: value)) is not Encodable, so it cannot be sent to a worker",
                            key: keys[task], function: function.name)
                    }
                    return .value(try ValueCodec.encode(encodable))
                }
            }
            let placement = placements.isEmpty ? placement : placements[Int32(task)] ?? placement
            tasks.append(WireTask(
                key: keys[task], function: function.name, arguments: try inputs[inputRange(of: task)].map(wire),
                order: Int64(task), priority: priority, retries: retries, workers: placement?.workers ?? [],
                allowOtherWorkers: placement?.allowOtherWorkers ?? false, resources: resources))
        }
        return (tasks, functions)
    }
}
