import LoomCore

extension ChunkedArray {
    /// The same values in other blocks (`.shape`, `.sizes`, `.partly`, `.auto`). Finer blocks
    /// cost nothing; coarser ones a task each, in stages when the change is large.
    public func rechunk(_ chunks: Chunks) -> ChunkedArray {
        ChunkedArray(RechunkExpression(expression, chunks: chunks))
    }

    /// The elements in row-major order under another shape; one dimension may be -1 (inferred).
    /// Blocks are rechunked first where they do not map whole onto blocks of the new shape.
    public func reshaped(_ shape: [Int]) -> ChunkedArray {
        ChunkedArray(ReshapeExpression(expression, shape: shape))
    }

    /// Arrays joined along an existing axis; the other dimensions must match.
    public static func concatenate(_ arrays: [ChunkedArray], axis: Int = 0) -> ChunkedArray {
        ChunkedArray(ConcatenateExpression(arrays.map(\.expression), axis: axis))
    }

    /// Arrays of one shape joined along a new axis.
    public static func stack(_ arrays: [ChunkedArray], axis: Int = 0) -> ChunkedArray {
        if let first = arrays.first, let odd = arrays.first(where: { $0.shape != first.shape && $0.error == nil }), first.error == nil {
            return ChunkedArray(failure: LoomError(.invalidArgument, "stack needs arrays of one shape, not \(first.shape) and \(odd.shape)"))
        }
        let axis = axis < 0 ? axis + (arrays.first?.rank ?? 0) + 1 : axis
        return concatenate(arrays.map { $0.expandingDimensions(at: axis) }, axis: axis)
    }

    /// A registered function applied to every block (Dask's `map_blocks`). It returns a block
    /// of the shape it was given, or, with `chunks` (each dimension's block sizes, as many as
    /// the array has), of the shape its place there calls for. Runs on every scheduler and cluster.
    public func mapBlocks<Result: ArrayElement>(
        _ function: TaskFunction<NDArray<Element>, NDArray<Result>>, chunks: [[Int]]? = nil
    ) -> ChunkedArray<Result> {
        ChunkedArray<Result>(MapBlocksExpression<Element, Result>(expression, function: function.erased, chunks: chunks))
    }

    /// A closure applied to every block: the threads and synchronous schedulers only.
    public func mapBlocks<Result: ArrayElement>(
        name: String = "map-blocks", chunks: [[Int]]? = nil, _ body: @escaping @Sendable (NDArray<Element>) throws -> NDArray<Result>
    ) -> ChunkedArray<Result> {
        ChunkedArray<Result>(MapBlocksExpression<Element, Result>(expression, function: LocalFunction(name, body).erased, chunks: chunks))
    }

    /// The index of the smallest element along `axis`, or in the flattened array when nil.
    public func argmin(axis: Int? = nil, splitEvery: Int = 4) -> ChunkedArray<Int64> {
        ChunkedArray<Int64>(ArgReductionExpression(expression, smallest: true, axis: axis, splitEvery: splitEvery))
    }

    public func argmax(axis: Int? = nil, splitEvery: Int = 4) -> ChunkedArray<Int64> {
        ChunkedArray<Int64>(ArgReductionExpression(expression, smallest: false, axis: axis, splitEvery: splitEvery))
    }
}

extension ChunkedArray where Element: IntegerElement {
    /// The mean of integers is a `Double`, as numpy's.
    public func mean(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray<Double> {
        astype(Double.self).mean(axes: axes, keepDimensions: keepDimensions, splitEvery: splitEvery)
    }

    public func mean(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray<Double> {
        astype(Double.self).mean(axis: axis, keepDimensions: keepDimensions, splitEvery: splitEvery)
    }
}
