/// A graph in the order it was written, before `GraphOrder` numbers it for execution.
struct GraphBuilder {
    var keys: [Key] = []
    var functions: [AnyTaskFunction] = []
    var inputOffsets: [Int32] = [0]
    var inputs: [GraphInput] = []
    var dependencyOffsets: [Int32] = [0]
    var dependencies: [Int32] = []
    var outputs: [Int32] = []
    /// The placements of the few tasks that have one.
    var placements: [Int32: TaskPlacement] = [:]

    var count: Int { keys.count }

    func inputRange(of task: Int) -> Range<Int> {
        Int(inputOffsets[task])..<Int(inputOffsets[task + 1])
    }

    func dependencies(of task: Int) -> ArraySlice<Int32> {
        dependencies[Int(dependencyOffsets[task])..<Int(dependencyOffsets[task + 1])]
    }

    private mutating func append(key: Key, function: AnyTaskFunction, inputs taskInputs: some Sequence<GraphInput>) {
        keys.append(key)
        functions.append(function)
        let firstDependency = dependencies.count
        func collect(_ input: GraphInput) {
            switch input {
            case .literal, .existing: break
            case .dependency(let task):
                // Tasks have few inputs: a linear scan beats hashing for deduplication.
                if !dependencies[firstDependency...].contains(task) { dependencies.append(task) }
            case .list(let parts): parts.forEach(collect)
            }
        }
        for input in taskInputs {
            inputs.append(input)
            collect(input)
        }
        inputOffsets.append(Int32(inputs.count))
        dependencyOffsets.append(Int32(dependencies.count))
    }

    /// Collects the nodes `roots` depend on, each once, dependencies before dependents.
    init(collecting roots: [TaskNode]) {
        var index = NodeIndex(capacity: 1024)
        // Iterative depth-first walk: a chain of a million calls must not overflow the stack.
        var stack: [(node: TaskNode, expanded: Bool)] = roots.reversed().map { ($0, false) }
        while let (node, expanded) = stack.popLast() {
            if !expanded {
                // A node reached twice before it was numbered is pushed twice; skip the repeat.
                if index[node] != nil { continue }
                stack.append((node, true))
                Self.forEachNode(in: node.inputs) { child in
                    if index[child] == nil { stack.append((child, false)) }
                }
                continue
            }
            if index[node] != nil { continue }
            func converted(_ input: NodeInput) -> GraphInput {
                switch input {
                case .literal(let value): .literal(value)
                case .node(let child): .dependency(index[child]!)
                case .list(let parts): .list(parts.map(converted))
                case .existing(let key): .existing(key)
                }
            }
            index.insert(node, number: Int32(count))
            if let placement = node.placement { placements[Int32(count)] = placement }
            append(key: node.key, function: node.function, inputs: node.inputs.lazy.map(converted))
        }
        outputs = roots.map { index[$0]! }
    }

    private static func forEachNode(in inputs: [NodeInput], _ body: (TaskNode) -> Void) {
        for input in inputs {
            switch input {
            case .literal, .existing: break
            case .node(let node): body(node)
            case .list(let parts): forEachNode(in: parts, body)
            }
        }
    }

    /// Indexes hand-written tasks by key and checks every key an input or output names exists.
    init(specs: [TaskSpec], outputs requested: [Key]) throws {
        var index: [Key: Int32] = [:]
        index.reserveCapacity(specs.count)
        for (position, spec) in specs.enumerated() {
            if index.updateValue(Int32(position), forKey: spec.key) != nil {
                throw LoomError(.duplicateKey, "the graph defines key '\(spec.key)' more than once", key: spec.key)
            }
        }
        for spec in specs {
            func converted(_ input: TaskSpecInput) throws -> GraphInput {
                switch input {
                case .literal(let value): return .literal(value)
                case .task(let key):
                    guard let task = index[key] else {
                        throw LoomError(
                            .missingDependency, "task '\(spec.key)' depends on '\(key)', which is not in the graph",
                            key: spec.key, function: spec.function.name)
                    }
                    return .dependency(task)
                case .list(let parts): return .list(try parts.map(converted))
                }
            }
            append(key: spec.key, function: spec.function, inputs: try spec.inputs.map(converted))
        }
        outputs = try requested.map { key in
            guard let task = index[key] else {
                throw LoomError(.missingDependency, "output '\(key)' is not in the graph", key: key)
            }
            return task
        }
    }

    /// Throws an error naming the keys of one cycle, if the graph has any.
    func checkAcyclic() throws {
        enum Mark: UInt8 { case unvisited, onPath, done }
        var marks = [Mark](repeating: .unvisited, count: count)
        var path: [(task: Int, next: Int)] = []
        for start in 0..<count where marks[start] == .unvisited {
            path.append((start, Int(dependencyOffsets[start])))
            marks[start] = .onPath
            while let (task, next) = path.last {
                if next == Int(dependencyOffsets[task + 1]) {
                    marks[task] = .done
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let dependency = Int(dependencies[next])
                switch marks[dependency] {
                case .done: continue
                case .unvisited:
                    marks[dependency] = .onPath
                    path.append((dependency, Int(dependencyOffsets[dependency])))
                case .onPath:
                    let loop = path.drop { $0.task != dependency }.map { keys[$0.task] } + [keys[dependency]]
                    throw LoomError(
                        .cycle, "the graph has a cycle: " + loop.map(\.description).joined(separator: " -> "),
                        key: keys[dependency])
                }
            }
        }
    }
}
