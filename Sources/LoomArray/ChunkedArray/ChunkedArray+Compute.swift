import LoomCore
import LoomLocal

extension ChunkedArray {
    /// The blocks as task nodes (or values, for blocks of an in-memory array), row-major.
    func lowered(budget: ChunkBudget) throws -> Lowered<Element> {
        let lowering = Lowering(budget: budget)
        return try lowering.blocks(expression)
    }

    /// The graph that computes every block, with the configured chunk budget.
    public func graph(budget: ChunkBudget = .configured) throws -> TaskGraph {
        let lowered = try lowered(budget: budget)
        guard case .blocks(let blocks) = lowered.content else { return TaskGraph(outputs: []) }
        return TaskGraph(outputs: blocks.compactMap { if case .node(let node) = $0 { node } else { nil } })
    }

    /// Computes the array and returns it whole.
    ///
    /// - Parameter scheduler: a local scheduler; nil uses the default graph runner (the newest
    ///   distributed `Client`) if there is one, and its workers' memory for `.auto` chunks, else
    ///   the configured default (threads).
    public func compute(scheduler: Scheduler? = nil, progress: ProgressBar? = nil) async throws -> NDArray<Element> {
        if scheduler == nil, let runner = DefaultGraphRunner.runner {
            return try await compute(on: runner)
        }
        let lowered = try lowered(budget: .configured)
        return try await assemble(lowered) { graph in try await graph.execute(on: scheduler, progress: progress).outputs }
    }

    /// Computes the array on a cluster: `compute(on: client)`. `.auto` chunks fit its workers:
    /// at most an eighth of the smallest worker's memory per thread (`ChunkBudget.fitting`).
    public func compute(on runner: any GraphRunner) async throws -> NDArray<Element> {
        let budget = ChunkBudget.fitting(try await runner.workerCapacities())
        let lowered = try lowered(budget: budget)
        return try await assemble(lowered) { graph in try await runner.run(graph) }
    }

    /// Computes the blocks on a cluster (`persist(on: client)`) and keeps them there (Dask's
    /// `persist`): the array returned reads them from the cluster's memory (spilled to disk as
    /// raw bytes when it fills), so several computations share them. The cluster releases them
    /// when the returned array (and every expression built on it) is gone.
    public func persist(on runner: any GraphRunner) async throws -> ChunkedArray {
        let budget = ChunkBudget.fitting(try await runner.workerCapacities())
        let lowered = try lowered(budget: budget)
        guard case .blocks(let blocks) = lowered.content else { preconditionFailure("lowered blocks are materialized") }
        let nodes = blocks.compactMap { if case .node(let node) = $0 { node } else { nil } }
        let persisted = try await runner.persist(TaskGraph(outputs: nodes))
        var keys = persisted.keys.makeIterator()
        let stored = blocks.map { block -> NodeInput in
            if case .node = block { return .existing(keys.next()!) }
            return block
        }
        return ChunkedArray(PersistedExpression(layout: lowered.layout, blocks: stored, retainer: persisted.retainer))
    }

    /// Runs the blocks' graph and copies the blocks into one array.
    private func assemble(_ lowered: Lowered<Element>, run: (TaskGraph) async throws -> [any Sendable]) async throws -> NDArray<Element> {
        guard case .blocks(var blocks) = lowered.content else { preconditionFailure("lowered blocks are materialized") }
        // Blocks a cluster holds (a persisted array) come back through a task that reads them.
        let assemble = Element.kernels.assemble.erased
        let indices = lowered.layout.blockIndices
        for (position, block) in blocks.enumerated() {
            guard case .existing = block else { continue }
            let shape = lowered.layout.blockShape(indices[position])
            let plan = AssemblyPlan(shape: shape, pieces: [.init(input: 0, from: shape.map { _ in 0 }, to: shape.map { _ in 0 }, extent: shape, inputShape: shape)], resultShape: nil)
            blocks[position] = .node(TaskNode(key: Key.unique(prefix: "fetch"), function: assemble, inputs: [.literal(plan), .list([block])]))
        }
        let nodes = blocks.compactMap { if case .node(let node) = $0 { node } else { nil } }
        let computed = nodes.isEmpty ? [] : try await run(TaskGraph(outputs: nodes))
        var results = computed.makeIterator()
        var values: [NDArray<Element>] = []
        for (position, block) in blocks.enumerated() {
            let value: any Sendable
            switch block {
            case .literal(let literal): value = literal
            default: value = results.next()!
            }
            guard let array = value as? NDArray<Element> else {
                throw LoomError(.typeMismatch, "block \(position) of the array came back as \(type(of: value)), not NDArray<\(Element.self)>")
            }
            values.append(array)
        }
        return try Self.join(values, layout: lowered.layout)
    }

    /// Blocks (row-major) into one array, each checked against the shape its place calls for.
    static func join(_ blocks: [NDArray<Element>], layout: ChunkLayout) throws -> NDArray<Element> {
        let shape = layout.shape
        if blocks.count == 1, blocks[0].shape == shape { return blocks[0] }
        var pieces: [AssemblyPlan.Piece] = []
        for (position, index) in layout.blockIndices.enumerated() {
            let expected = layout.blockShape(index)
            guard blocks[position].shape == expected else {
                throw LoomError(.invalidArgument, "block \(index) has shape \(blocks[position].shape), but its place in the array is \(expected)")
            }
            pieces.append(.init(input: position, from: expected.map { _ in 0 }, to: layout.blockStart(index), extent: expected))
        }
        return try BlockAssembly.run(AssemblyPlan(shape: shape, pieces: pieces, resultShape: nil), inputs: blocks)
    }
}
