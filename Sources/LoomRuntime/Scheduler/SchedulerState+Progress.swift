import LoomCore

// Views of the task graph for plugins and the dashboard: progress per function, and the graph itself
// while it is small enough to draw.

/// How many of a function's tasks are in each state.
public struct FunctionProgress: Sendable, Codable, Equatable {
    public var waiting = 0
    public var queued = 0
    public var processing = 0
    public var memory = 0
    public var erred = 0
    public var released = 0
}

/// A small task graph as the dashboard draws it.
public struct GraphView: Sendable, Codable, Equatable {
    public struct Node: Sendable, Codable, Equatable {
        public var key: String
        public var function: String
        public var state: String
    }
    public var nodes: [Node]
    /// Pairs of node indices: dependency → dependent.
    public var edges: [[Int]]
}

extension SchedulerState {
    /// Tasks by function and state (one pass over the tasks; the dashboard asks twice a second).
    public func progressByFunction() -> [String: FunctionProgress] {
        var progress = [FunctionProgress](repeating: FunctionProgress(), count: functions.count)
        for task in tasks where task.state != .forgotten {
            let function = Int(task.function)
            guard function >= 0, function < progress.count else { continue }
            switch task.state {
            case .waiting: progress[function].waiting += 1
            case .noWorker, .queued: progress[function].queued += 1
            case .processing: progress[function].processing += 1
            case .memory: progress[function].memory += 1
            case .erred: progress[function].erred += 1
            case .released: progress[function].released += 1
            case .forgotten: break
            }
        }
        var byName: [String: FunctionProgress] = [:]
        for (index, counts) in progress.enumerated() where counts != FunctionProgress() {
            byName[functions[index].name] = counts
        }
        return byName
    }

    /// How many tasks the values of `keys` still wait for, themselves included: those needed
    /// and not yet computed (a client's progress bar). A task already computed (held, released
    /// or forgotten) or erred ends the walk, so it costs what is left, not the whole graph.
    public func remainingTasks(under keys: [Key]) -> Int {
        var seen = Set<TaskSlot>()
        var pending = keys.compactMap { taskSlots[$0] }
        var remaining = 0
        while let slot = pending.popLast() {
            guard seen.insert(slot).inserted else { continue }
            switch tasks[Int(slot)].state {
            case .waiting, .noWorker, .queued, .processing:
                remaining += 1
                pending.append(contentsOf: tasks[Int(slot)].dependencies)
            case .memory, .erred, .released, .forgotten:
                continue
            }
        }
        return remaining
    }

    /// The graph of every task the scheduler knows, or `nil` if there are more than `limit`.
    public func graphView(limit: Int) -> GraphView? {
        guard taskSlots.count <= limit else { return nil }
        let slots = taskSlots.values.sorted()
        let index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        let nodes = slots.map { slot in
            GraphView.Node(key: tasks[Int(slot)].key.description, function: functionName(slot), state: "\(tasks[Int(slot)].state)")
        }
        var edges: [[Int]] = []
        for slot in slots {
            for dependency in tasks[Int(slot)].dependencies {
                if let from = index[dependency], let to = index[slot] { edges.append([from, to]) }
            }
        }
        return GraphView(nodes: nodes, edges: edges)
    }
}
