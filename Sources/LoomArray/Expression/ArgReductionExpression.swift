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
        } else if axis.map({ source.shape[$0] == 0 }) ?? source.shape.contains(0) {
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
        let outputLayout = axis.map { axis in ChunkLayout(layout.sizes.enumerated().filter { $0.offset != axis }.map(\.element)) } ?? ChunkLayout([])
        // Empty along a kept axis: empty results, as numpy's.
        if layout.shape.contains(0) {
            return try lowering.materialize(Lowered(layout: outputLayout, content: .fused(.constant(Int64(0))), name: name))
        }
        // Each output block folds the non-empty blocks in its line (along the axis, or all of
        // them) in array order, `splitEvery` at a time.
        let lines: [[[Int]]]
        if let axis {
            var grid = layout.grid
            grid[axis] = 1
            lines = ChunkLayout.indices(of: grid).map { start in
                (0..<layout.grid[axis]).map { position in
                    var index = start
                    index[axis] = position
                    return index
                }
            }
        } else {
            lines = [layout.blockIndices]
        }
        let results = lines.map { line -> NodeInput in
            var level = line.filter { !layout.blockShape($0).contains(0) }.map { index -> NodeInput in
                let plan = ArgPlan(smallest: smallest, axis: axis, blockStart: layout.blockStart(index), arrayShape: layout.shape)
                return lowering.task(name, kernels.argBlock.erased, [.literal(plan), blocks[layout.flat(index)]])
            }
            while level.count > 1 {
                level = stride(from: 0, to: level.count, by: splitEvery).map { start in
                    lowering.task(
                        name + "-aggregate", kernels.argCombine.erased,
                        [.literal(smallest), .list(Array(level[start..<Swift.min(start + splitEvery, level.count)]))])
                }
            }
            let shape = axis.map { axis in (0..<layout.rank).filter { $0 != axis }.map { layout.sizes[$0][line[0][$0]] } } ?? []
            return lowering.task(name + "-indices", kernels.argIndices.erased, [.literal(shape), level[0]])
        }
        return Lowered(layout: outputLayout, content: .blocks(results), name: name)
    }
}
