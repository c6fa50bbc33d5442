import LoomCore

/// How one output block is put together from pieces of input blocks: what `rechunk` and
/// `reshape` tasks run. Each piece copies a box of one input into the output, so a block that
/// several old blocks overlap is one task reading each of them once.
struct AssemblyPlan: Codable, Sendable, Equatable {
    struct Piece: Codable, Sendable, Equatable {
        var input: Int
        /// Where the box starts in the input block, and in the output block.
        var from: [Int]
        var to: [Int]
        var extent: [Int]
        /// The shape the input block must have (nil: any that holds the box).
        var inputShape: [Int]? = nil
    }

    var shape: [Int]
    var pieces: [Piece]
    /// Reinterpret the assembled block with this shape (same count, row-major): reshape.
    var resultShape: [Int]?
}

enum BlockAssembly {
    static func run<E: ArrayElement>(_ plan: AssemblyPlan, inputs: [NDArray<E>]) throws -> NDArray<E> {
        let count = plan.shape.reduce(1, *)
        // A single piece that is its whole input and the whole output is a reshape: no copy.
        if plan.pieces.count == 1, let piece = plan.pieces.first, piece.input >= 0, piece.input < inputs.count,
            inputs[piece.input].shape == plan.shape, piece.extent == plan.shape, piece.from.allSatisfy({ $0 == 0 }),
            piece.inputShape == nil || piece.inputShape == plan.shape
        {
            return try reshaped(inputs[piece.input], plan)
        }
        var scalars = [E](repeating: .zero, count: count)
        let outputStrides = NDArray<E>.strides(of: plan.shape)
        for (number, piece) in plan.pieces.enumerated() {
            guard piece.input >= 0 && piece.input < inputs.count else {
                throw LoomError(.invalidArgument, "piece \(number) of a block assembly reads input \(piece.input) of \(inputs.count)")
            }
            let input = inputs[piece.input]
            if let expected = piece.inputShape, expected != input.shape {
                throw LoomError(
                    .invalidArgument,
                    "an input block has shape \(input.shape) where the array's blocks call for \(expected): a block function or mapBlocks returned a block of another shape")
            }
            guard piece.from.count == input.rank, piece.to.count == plan.shape.count, piece.extent.count == input.rank,
                piece.extent.count == plan.shape.count,
                (0..<input.rank).allSatisfy({ piece.from[$0] >= 0 && piece.from[$0] + piece.extent[$0] <= input.shape[$0] }),
                (0..<plan.shape.count).allSatisfy({ piece.to[$0] >= 0 && piece.to[$0] + piece.extent[$0] <= plan.shape[$0] })
            else {
                throw LoomError(
                    .invalidArgument,
                    "piece \(number) of a block assembly (\(piece.extent) from \(piece.from) of \(input.shape) to \(piece.to) of \(plan.shape)) does not fit")
            }
            guard !piece.extent.contains(0) else { continue }
            copy(piece, from: input, into: &scalars, outputStrides: outputStrides)
        }
        return try reshaped(NDArray(uncheckedShape: plan.shape, scalars: scalars), plan)
    }

    private static func copy<E: ArrayElement>(_ piece: AssemblyPlan.Piece, from input: NDArray<E>, into scalars: inout [E], outputStrides: [Int]) {
        let rank = piece.extent.count
        let inputStrides = input.strides
        let run = rank == 0 ? 1 : piece.extent[rank - 1]
        let outerGrid = rank == 0 ? [] : Array(piece.extent[..<(rank - 1)])
        input.scalars.withUnsafeBufferPointer { source in
            scalars.withUnsafeMutableBufferPointer { target in
                for outer in ChunkLayout.indices(of: outerGrid) {
                    var from = 0, to = 0
                    for dimension in 0..<rank {
                        let position = dimension < rank - 1 ? outer[dimension] : 0
                        from += (piece.from[dimension] + position) * inputStrides[dimension]
                        to += (piece.to[dimension] + position) * outputStrides[dimension]
                    }
                    (target.baseAddress! + to).update(from: source.baseAddress! + from, count: run)
                }
            }
        }
    }

    private static func reshaped<E: ArrayElement>(_ block: NDArray<E>, _ plan: AssemblyPlan) throws -> NDArray<E> {
        guard let shape = plan.resultShape else { return block.shape == plan.shape ? block : NDArray(uncheckedShape: plan.shape, scalars: block.scalars) }
        guard shape.reduce(1, *) == block.count else {
            throw LoomError(.invalidArgument, "a block of shape \(block.shape) cannot be reshaped to \(shape)")
        }
        return NDArray(uncheckedShape: shape, scalars: block.scalars)
    }
}
