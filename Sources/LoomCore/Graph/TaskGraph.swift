/// A graph ready to execute: tasks numbered in priority order, inputs and edges in flat arrays.
///
/// Task `i` should run before task `j` whenever both are ready and `i < j` (see `GraphOrder`),
/// so executors keep a heap of plain task numbers. Flat arrays keep a million-task graph to a
/// few hundred bytes a task and let executors walk it without hashing keys.
public struct TaskGraph: Sendable {
    public let keys: [Key]
    public let functions: [AnyTaskFunction]
    /// `inputs[inputOffsets[i] ..< inputOffsets[i + 1]]` are task `i`'s inputs, in argument order.
    public let inputOffsets: [Int32]
    public let inputs: [GraphInput]
    /// Distinct tasks each task depends on, and those depending on it.
    public let dependencyOffsets: [Int32]
    public let dependencies: [Int32]
    public let dependentOffsets: [Int32]
    public let dependents: [Int32]
    /// The tasks whose results were asked for, in the order asked.
    public let outputs: [Int32]
    /// Where a cluster should run the tasks that say (`TaskNode.placement`), by task number.
    public let placements: [Int32: TaskPlacement]

    public var count: Int { keys.count }

    public func inputRange(of task: Int) -> Range<Int> {
        Int(inputOffsets[task])..<Int(inputOffsets[task + 1])
    }

    public func dependencies(of task: Int) -> ArraySlice<Int32> {
        dependencies[Int(dependencyOffsets[task])..<Int(dependencyOffsets[task + 1])]
    }

    public func dependents(of task: Int) -> ArraySlice<Int32> {
        dependents[Int(dependentOffsets[task])..<Int(dependentOffsets[task + 1])]
    }

    /// Builds the graph that computes `outputs`, collecting the nodes they depend on.
    public init(outputs: [TaskNode]) {
        self.init(building: GraphBuilder(collecting: outputs))
    }

    /// Builds a graph from hand-written tasks, keeping only what `outputs` need.
    ///
    /// Throws when a key is given twice, an input names a key that is not in the graph, an
    /// output is missing, or dependencies form a cycle; the error names the keys involved.
    public init(tasks: [TaskSpec], outputs: [Key]) throws {
        let builder = try GraphBuilder(specs: tasks, outputs: outputs)
        try builder.checkAcyclic()
        self.init(building: builder)
    }

    init(building builder: GraphBuilder) {
        let priority = GraphOrder.priorities(of: builder)
        var order = [Int32](repeating: 0, count: builder.count)
        for (task, rank) in priority.enumerated() where rank >= 0 { order[Int(rank)] = Int32(task) }
        let kept = priority.lazy.filter { $0 >= 0 }.count
        order.removeLast(builder.count - kept)

        func renumbered(_ input: GraphInput) -> GraphInput {
            switch input {
            case .literal, .existing: input
            case .dependency(let old): .dependency(priority[Int(old)])
            case .list(let parts): .list(parts.map(renumbered))
            }
        }

        var keys: [Key] = [], functions: [AnyTaskFunction] = []
        var inputOffsets: [Int32] = [0], inputs: [GraphInput] = []
        var dependencyOffsets: [Int32] = [0], dependencies: [Int32] = []
        keys.reserveCapacity(kept)
        functions.reserveCapacity(kept)
        inputOffsets.reserveCapacity(kept + 1)
        dependencyOffsets.reserveCapacity(kept + 1)
        inputs.reserveCapacity(builder.inputs.count)
        dependencies.reserveCapacity(builder.dependencies.count)
        for old in order {
            let old = Int(old)
            keys.append(builder.keys[old])
            functions.append(builder.functions[old])
            for input in builder.inputs[builder.inputRange(of: old)] { inputs.append(renumbered(input)) }
            inputOffsets.append(Int32(inputs.count))
            for dependency in builder.dependencies(of: old) { dependencies.append(priority[Int(dependency)]) }
            dependencyOffsets.append(Int32(dependencies.count))
        }
        (self.dependentOffsets, self.dependents) = Self.invert(dependencyOffsets, dependencies)
        self.keys = keys
        self.functions = functions
        self.inputOffsets = inputOffsets
        self.inputs = inputs
        self.dependencyOffsets = dependencyOffsets
        self.dependencies = dependencies
        self.outputs = builder.outputs.map { priority[Int($0)] }
        var placements: [Int32: TaskPlacement] = [:]
        for (old, placement) in builder.placements where priority[Int(old)] >= 0 { placements[priority[Int(old)]] = placement }
        self.placements = placements
    }

    /// Turns "who each task depends on" into "who depends on each task", in one counting pass.
    private static func invert(_ offsets: [Int32], _ edges: [Int32]) -> ([Int32], [Int32]) {
        let count = offsets.count - 1
        var inverseOffsets = [Int32](repeating: 0, count: count + 1)
        for target in edges { inverseOffsets[Int(target) + 1] += 1 }
        for index in 0..<count { inverseOffsets[index + 1] += inverseOffsets[index] }
        var cursor = inverseOffsets
        var inverse = [Int32](repeating: 0, count: edges.count)
        for task in 0..<count {
            for edge in Int(offsets[task])..<Int(offsets[task + 1]) {
                let target = Int(edges[edge])
                inverse[Int(cursor[target])] = Int32(task)
                cursor[target] += 1
            }
        }
        return (inverseOffsets, inverse)
    }
}
