import LoomCore

/// `tensordot` (and `matmul`, `dot`): each output block is one task that multiplies the pairs
/// of blocks along the contracted axes through BLAS and sums them. Past `pairsPerTask` pairs
/// the sum is split into partial products folded as a tree, so no task holds a whole row and
/// column of blocks.
final class TensordotExpression<Element: NumericElement>: ArrayExpression {
    static var pairsPerTask: Int { 8 }

    let left: any ArrayExpression<Element>
    let right: any ArrayExpression<Element>
    let leftAxes: [Int]
    let rightAxes: [Int]
    let shape: [Int]
    let failure: LoomError?
    let name: String

    init(_ left: any ArrayExpression<Element>, _ right: any ArrayExpression<Element>, leftAxes: [Int], rightAxes: [Int], operation: String) {
        self.left = left
        self.right = right
        self.name = operation
        let leftRank = left.shape.count, rightRank = right.shape.count
        let leftAxes = leftAxes.map { $0 < 0 ? $0 + leftRank : $0 }, rightAxes = rightAxes.map { $0 < 0 ? $0 + rightRank : $0 }
        self.leftAxes = leftAxes
        self.rightAxes = rightAxes
        var failure = left.failure ?? right.failure
        if failure == nil {
            if leftAxes.count != rightAxes.count {
                failure = LoomError(.invalidArgument, "\(operation) contracts \(leftAxes.count) axis(es) of the left array but \(rightAxes.count) of the right")
            } else if let bad = leftAxes.first(where: { $0 < 0 || $0 >= leftRank }) ?? rightAxes.first(where: { $0 < 0 || $0 >= rightRank }) {
                failure = LoomError(.invalidArgument, "\(operation) of shapes \(left.shape) and \(right.shape) names axis \(bad), which is out of range")
            } else if Set(leftAxes).count != leftAxes.count || Set(rightAxes).count != rightAxes.count {
                failure = LoomError(.invalidArgument, "\(operation) names an axis twice (\(leftAxes) and \(rightAxes))")
            } else if let pair = zip(leftAxes, rightAxes).first(where: { left.shape[$0.0] != right.shape[$0.1] }) {
                failure = LoomError(
                    .invalidArgument,
                    "\(operation) of shapes \(left.shape) and \(right.shape): axis \(pair.0) of the left (\(left.shape[pair.0])) and axis \(pair.1) of the right (\(right.shape[pair.1])) differ")
            }
        }
        self.failure = failure
        if failure == nil {
            let leftFree = (0..<leftRank).filter { !leftAxes.contains($0) }, rightFree = (0..<rightRank).filter { !rightAxes.contains($0) }
            self.shape = leftFree.map { left.shape[$0] } + rightFree.map { right.shape[$0] }
        } else {
            self.shape = []
        }
    }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        var a = try lowering.blocks(left), b = try lowering.blocks(right)
        // The contracted axes must be cut alike: both take the common refinement.
        var aSizes = a.layout.sizes, bSizes = b.layout.sizes
        for (leftAxis, rightAxis) in zip(leftAxes, rightAxes) {
            let common = ChunkLayout.refinement(aSizes[leftAxis], bSizes[rightAxis])
            aSizes[leftAxis] = common
            bSizes[rightAxis] = common
        }
        if aSizes != a.layout.sizes { a = try lowering.materialize(Lowered(layout: ChunkLayout(aSizes), content: .fused(a.fused), name: a.name)) }
        if bSizes != b.layout.sizes { b = try lowering.materialize(Lowered(layout: ChunkLayout(bSizes), content: .fused(b.fused), name: b.name)) }
        guard case .blocks(let aBlocks) = a.content, case .blocks(let bBlocks) = b.content else { preconditionFailure("materialized") }

        let leftFree = (0..<a.layout.rank).filter { !leftAxes.contains($0) }
        let rightFree = (0..<b.layout.rank).filter { !rightAxes.contains($0) }
        let contractedGrid = leftAxes.map { a.layout.grid[$0] }
        let outputLayout = ChunkLayout(leftFree.map { a.layout.sizes[$0] } + rightFree.map { b.layout.sizes[$0] })
        let plan = TensordotPlan(leftAxes: leftAxes, rightAxes: rightAxes)
        let kernel = Element.kernels.tensordot!
        let combine = Element.kernels.combine.erased
        var blocks: [NodeInput] = []
        for index in outputLayout.blockIndices {
            var pairs: [(NodeInput, NodeInput)] = []
            for contracted in ChunkLayout.indices(of: contractedGrid) {
                var aIndex = [Int](repeating: 0, count: a.layout.rank), bIndex = [Int](repeating: 0, count: b.layout.rank)
                for (position, axis) in leftFree.enumerated() { aIndex[axis] = index[position] }
                for (position, axis) in rightFree.enumerated() { bIndex[axis] = index[leftFree.count + position] }
                for (position, (leftAxis, rightAxis)) in zip(leftAxes, rightAxes).enumerated() {
                    aIndex[leftAxis] = contracted[position]
                    bIndex[rightAxis] = contracted[position]
                }
                pairs.append((aBlocks[a.layout.flat(aIndex)], bBlocks[b.layout.flat(bIndex)]))
            }
            var partials: [NodeInput] = stride(from: 0, to: pairs.count, by: Self.pairsPerTask).map { start in
                let group = pairs[start..<Swift.min(start + Self.pairsPerTask, pairs.count)]
                return lowering.task(name, kernel, [.literal(plan), .list(group.map(\.0)), .list(group.map(\.1))])
            }
            let shape = outputLayout.blockShape(index)
            while partials.count > 1 {
                partials = stride(from: 0, to: partials.count, by: 4).map { start in
                    lowering.task(name + "-sum", combine, [.literal(ReductionKind.sum), .literal(shape), .list(Array(partials[start..<Swift.min(start + 4, partials.count)]))])
                }
            }
            blocks.append(partials[0])
        }
        return Lowered(layout: outputLayout, content: .blocks(blocks), name: name)
    }
}
