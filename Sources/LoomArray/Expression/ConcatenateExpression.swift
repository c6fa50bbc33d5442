import LoomCore

/// Arrays joined along an axis: their blocks side by side, no copy. Along the other axes all
/// take the common refinement of their blocks first.
final class ConcatenateExpression<Element: ArrayElement>: ArrayExpression {
    let sources: [any ArrayExpression<Element>]
    let axis: Int
    let shape: [Int]
    let failure: LoomError?

    init(_ sources: [any ArrayExpression<Element>], axis requested: Int) {
        self.sources = sources
        var failure = sources.lazy.compactMap(\.failure).first
        let rank = sources.first?.shape.count ?? 0
        let axis = requested < 0 ? requested + rank : requested
        self.axis = axis
        if failure == nil {
            if sources.isEmpty {
                failure = LoomError(.invalidArgument, "concatenate needs at least one array")
            } else if axis < 0 || axis >= rank {
                failure = LoomError(.invalidArgument, "concatenate along axis \(requested): the arrays have \(rank) axis(es)")
            } else if let odd = sources.first(where: { other in
                other.shape.count != rank || (0..<rank).contains { $0 != axis && other.shape[$0] != sources[0].shape[$0] }
            }) {
                failure = LoomError(
                    .invalidArgument,
                    "concatenate along axis \(axis): shapes \(sources[0].shape) and \(odd.shape) differ in another axis")
            }
        }
        self.failure = failure
        if failure == nil {
            var shape = sources[0].shape
            shape[axis] = sources.reduce(0) { $0 + $1.shape[axis] }
            self.shape = shape
        } else {
            self.shape = []
        }
    }

    var name: String { "concatenate" }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        var parts = try sources.map { try lowering.lower($0) }
        let rank = shape.count
        let common = (0..<rank).map { dimension in
            dimension == axis ? [] : parts.dropFirst().reduce(parts[0].layout.sizes[dimension]) { ChunkLayout.refinement($0, $1.layout.sizes[dimension]) }
        }
        for index in parts.indices {
            var sizes = common
            sizes[axis] = parts[index].layout.sizes[axis]
            parts[index] = try lowering.materialize(try RechunkExpression<Element>.rechunk(parts[index], to: ChunkLayout(sizes), lowering: lowering))
        }
        var sizes = common
        sizes[axis] = parts.flatMap { part in part.shape[axis] == 0 && parts.count > 1 ? [] : part.layout.sizes[axis] }
        if sizes[axis].isEmpty { sizes[axis] = [0] }
        let layout = ChunkLayout(sizes)
        // Which part and which of its blocks each block along the axis is.
        var owners: [(part: Int, block: Int)] = []
        for (number, part) in parts.enumerated() where !(part.shape[axis] == 0 && parts.count > 1) {
            for block in 0..<part.layout.grid[axis] { owners.append((number, block)) }
        }
        if owners.isEmpty { owners = [(0, 0)] }
        let blocks = layout.blockIndices.map { index -> NodeInput in
            let owner = owners[index[axis]]
            var partIndex = index
            partIndex[axis] = owner.block
            guard case .blocks(let partBlocks) = parts[owner.part].content else { preconditionFailure("materialized") }
            return partBlocks[parts[owner.part].layout.flat(partIndex)]
        }
        return Lowered(layout: layout, content: .blocks(blocks), name: name)
    }
}
