import LoomCore

/// `argmin`/`argmax` along one axis, or of the flattened array: each block's best with its
/// index, folded `splitEvery` at a time in array order (so ties go to the lowest index, as in
/// numpy), then the indices.
final class ArgReductionExpression<Source: ArrayElement>: ArrayExpression {
    typealias Element = Int64

    let source: any ArrayExpression<Source>
    let smallest: Bool
    let axis: Int?
    let splitEvery: Int
    let shape: [Int]
    let failure: LoomError?

    init(_ source: any ArrayExpression<Source>, smallest: Bool, axis requested: Int?, splitEvery: Int) {
        self.source = source
        self.smallest = smallest
        self.splitEvery = Swift.max(2, splitEvery)
        let rank = source.shape.count
        let axis = requested.map { $0 < 0 ? $0 + rank : $0 }
        self.axis = axis
        let operation = smallest ? "argmin" : "argmax"
        if let failure = source.failure {
            self.failure = failure
        } else if let axis, axis < 0 || axis >= rank {
            self.failure = LoomError(.invalidArgument, "\(operation) over axis \(requested!): the array of shape \(source.shape) has \(rank) axis(es)")
        } else if source.shape.contains(0) {
            self.failure = LoomError(.invalidArgument, "\(operation) of an empty array (shape \(source.shape)) has no answer")
        } else {
            self.failure = nil
        }
        self.shape = axis.map { axis in source.shape.enumerated().filter { $0.offset != axis }.map(\.element) } ?? []
    }

    var name: String { smallest ? "argmin" : "argmax" }

    func lower(_ lowering: Lowering) throws -> Lowered<Int64> {
        let array = try lowering.blocks(source)
        guard case .blocks(let blocks) = array.content else { preconditionFailure("materialized") }
        let layout = array.layout
        let kernels = Source.kernels
        var partials: [[Int]: NodeInput] = [:]
        for index in layout.blockIndices {
            let plan = ArgPlan(smallest: smallest, axis: axis, blockStart: layout.blockStart(index), arrayShape: layout.shape)
            partials[index] = lowering.task(name, kernels.argBlock.erased, [.literal(plan), blocks[layout.flat(index)]])
        }
        // The axes folded: the one given, or all of them (row-major order is array order).
        var grid = layout.grid
        var order = layout.blockIndices
        let folded = axis.map { [$0] } ?? Array(0..<layout.rank)
        if axis == nil {
            // Flattened: one list in row-major order, folded in consecutive groups.
            var level = order.map { partials[$0]! }
            while level.count > 1 {
                level = stride(from: 0, to: level.count, by: splitEvery).map { start in
                    lowering.task(name + "-aggregate", kernels.argCombine.erased, [.literal(smallest), .list(Array(level[start..<Swift.min(start + splitEvery, level.count)]))])
                }
            }
            let result = lowering.task(name + "-indices", kernels.argIndices.erased, [.literal([Int]()), level[0]])
            return Lowered(layout: ChunkLayout([]), content: .blocks([result]), name: name)
        }
        let axis = folded[0]
        while grid[axis] > 1 {
            var next = grid
            next[axis] = (grid[axis] + splitEvery - 1) / splitEvery
            var level: [[Int]: NodeInput] = [:]
            for index in ChunkLayout.indices(of: next) {
                let members = (0..<Swift.min(splitEvery, grid[axis] - index[axis] * splitEvery)).map { offset -> NodeInput in
                    var member = index
                    member[axis] = index[axis] * splitEvery + offset
                    return partials[member]!
                }
                level[index] = lowering.task(name + "-aggregate", kernels.argCombine.erased, [.literal(smallest), .list(members)])
            }
            partials = level
            grid = next
        }
        order = ChunkLayout.indices(of: grid)
        let outputLayout = ChunkLayout(layout.sizes.enumerated().filter { $0.offset != axis }.map(\.element))
        let results = order.map { index in
            let shape = (0..<layout.rank).filter { $0 != axis }.map { layout.sizes[$0][index[$0]] }
            return lowering.task(name + "-indices", kernels.argIndices.erased, [.literal(shape), partials[index]!])
        }
        return Lowered(layout: outputLayout, content: .blocks(results), name: name)
    }
}
