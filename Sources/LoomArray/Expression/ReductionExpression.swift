import Foundation
import LoomCore

/// `sum`, `prod`, `min`, `max` over some axes, as a tree: each block is reduced inside its
/// fused program (one task reads the block's leaves and writes only the partial result), then
/// groups of partials are folded, `splitEvery` at a time along the reduced axes, until one is
/// left per output block (Dask's `split_every`, default 4).
final class ReductionExpression<Element: ArrayElement>: ArrayExpression {
    let source: any ArrayExpression<Element>
    let kind: ReductionKind
    let axes: [Int]
    let keepDimensions: Bool
    let splitEvery: Int
    let shape: [Int]
    let failure: LoomError?
    let name: String

    init(_ source: any ArrayExpression<Element>, kind: ReductionKind, axes: [Int]?, keepDimensions: Bool, splitEvery: Int, operation: String) {
        self.source = source
        self.kind = kind
        self.keepDimensions = keepDimensions
        self.splitEvery = splitEvery
        self.name = fusedName(operation, source.name)
        let rank = source.shape.count
        let normalized = (axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }
        if let failure = source.failure {
            self.failure = failure
        } else if let bad = axes?.first(where: { $0 < -rank || $0 >= rank }) {
            self.failure = LoomError(.invalidArgument, "\(operation) over axis \(bad): the array of shape \(source.shape) has \(rank) axis(es)")
        } else if Set(normalized).count != normalized.count {
            self.failure = LoomError(.invalidArgument, "\(operation) names an axis twice in \(axes!)")
        } else if splitEvery < 2 {
            self.failure = LoomError(.invalidArgument, "\(operation) needs splitEvery of at least 2, not \(splitEvery)")
        } else {
            self.failure = nil
        }
        let sorted = Set(normalized).sorted()
        self.axes = sorted
        self.shape = source.shape.enumerated().compactMap { axis, size in
            sorted.contains(axis) ? (keepDimensions ? 1 : nil) : size
        }
    }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.lower(source)
        let layout = array.layout
        let fused = array.fused
        let reduced = Set(axes)
        let blockwise = fused.inType.blockwiseKernel(to: Element.self)
        let combine = Element.kernels.combine.erased
        let rank = layout.rank

        // A block's shape after reduction: the kept axes' sizes, 1 for reduced ones, and the
        // final shape, with reduced axes dropped unless kept.
        func partialShape(_ index: [Int]) -> [Int] {
            (0..<rank).map { reduced.contains($0) ? 1 : layout.sizes[$0][index[$0]] }
        }
        func finalShape(_ index: [Int]) -> [Int] {
            (0..<rank).compactMap { reduced.contains($0) ? (keepDimensions ? 1 : nil) : layout.sizes[$0][index[$0]] }
        }

        // Empty along a reduced axis: one block of the identity per output block.
        if layout.blockCount == 0 || axes.contains(where: { layout.shape[$0] == 0 }) {
            return try emptyReduction(layout, lowering: lowering)
        }

        var grid = layout.grid
        let finishesAtOnce = axes.allSatisfy { grid[$0] <= 1 }
        var partials: [[Int]: NodeInput] = [:]
        for index in layout.blockIndices {
            var (program, inputs) = try fused.program(for: index, of: layout)
            program.reduction = BlockReduction(kind: kind, axes: axes)
            if finishesAtOnce { program.resultShape = finalShape(index) }
            partials[index] = lowering.task(name, blockwise, [.literal(program), .list(inputs)])
        }

        let group = Swift.max(2, Int(Foundation.pow(Double(splitEvery), 1 / Double(Swift.max(axes.count, 1)))))
        while axes.contains(where: { grid[$0] > 1 }) {
            let next = grid.enumerated().map { axis, count in reduced.contains(axis) ? (count + group - 1) / group : count }
            let last = axes.allSatisfy { next[$0] == 1 }
            var folded: [[Int]: NodeInput] = [:]
            for index in ChunkLayout.indices(of: next) {
                let members = ChunkLayout.indices(of: grid.enumerated().map { axis, count in
                    reduced.contains(axis) ? Swift.min(group, count - index[axis] * group) : 1
                }).map { offset in
                    (0..<rank).map { axis in reduced.contains(axis) ? index[axis] * group + offset[axis] : index[axis] }
                }
                let shape = last ? finalShape(index) : partialShape(index)
                folded[index] = lowering.task(
                    name + "-aggregate", combine, [.literal(kind), .literal(shape), .list(members.map { partials[$0]! })])
            }
            partials = folded
            grid = next
        }

        let outputLayout = ChunkLayout((0..<rank).compactMap { axis in
            reduced.contains(axis) ? (keepDimensions ? [1] : nil) : layout.sizes[axis]
        })
        let blocks = ChunkLayout.indices(of: grid).map { partials[$0]! }
        // Row-major order of the kept grid is the order of `indices(of: grid)`.
        return Lowered(layout: outputLayout.rank == 0 ? ChunkLayout([]) : outputLayout, content: .blocks(blocks), name: name)
    }

    /// A reduction over an empty axis gives the identity (0 for sum, 1 for prod, as numpy);
    /// numpy refuses min and max of nothing, and so does this.
    private func emptyReduction(_ layout: ChunkLayout, lowering: Lowering) throws -> Lowered<Element> {
        guard kind == .sum || kind == .product else {
            throw LoomError(.invalidArgument, "\(kind) of an empty array (shape \(layout.shape)) has no value")
        }
        let kept = (0..<layout.rank).compactMap { axis in axes.contains(axis) ? (keepDimensions ? [1] : nil) : layout.sizes[axis] }
        let outputLayout = ChunkLayout(kept)
        let fused = Fused.constant(kind.identity(Element.self))
        return try lowering.materialize(Lowered(layout: outputLayout, content: .fused(fused), name: name))
    }
}
