import LoomCore

// Reductions over all axes (the default) or the ones given, as trees of tasks (`splitEvery`
// partial results folded per task, default 4 as Dask's). The first step runs inside each
// block's fused program, so `(x + x.T).sum(axis: 0)` reads each block once and stores only
// the partial sums.

extension ChunkedArray where Element: NumericElement {
    func reduced(_ kind: ReductionKind, _ axes: [Int]?, _ keepDimensions: Bool, _ splitEvery: Int, _ name: String) -> ChunkedArray {
        ChunkedArray(ReductionExpression(expression, kind: kind, axes: axes, keepDimensions: keepDimensions, splitEvery: splitEvery, operation: name))
    }

    public func sum(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.sum, [axis], keepDimensions, splitEvery, "sum")
    }

    /// Over every axis when `axes` is nil.
    public func sum(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.sum, axes, keepDimensions, splitEvery, "sum")
    }

    public func product(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.product, [axis], keepDimensions, splitEvery, "prod")
    }

    public func product(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.product, axes, keepDimensions, splitEvery, "prod")
    }

    /// The smallest element (NaN if any is NaN, as numpy); an empty array has none and throws.
    public func min(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.min, [axis], keepDimensions, splitEvery, "min")
    }

    public func min(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.min, axes, keepDimensions, splitEvery, "min")
    }

    public func max(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.max, [axis], keepDimensions, splitEvery, "max")
    }

    public func max(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        reduced(.max, axes, keepDimensions, splitEvery, "max")
    }

    /// How many elements a reduction over `axes` folds into each result.
    func reducedCount(_ axes: [Int]?) -> Int {
        let rank = self.rank
        return (axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }.filter { $0 >= 0 && $0 < rank }
            .reduce(1) { $0 * shape[$1] }
    }
}

extension ChunkedArray where Element: FloatingElement {
    /// The sum divided by the count: the division fuses into whatever reads the mean.
    public func mean(axis: Int, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        mean(axes: [axis], keepDimensions: keepDimensions, splitEvery: splitEvery)
    }

    public func mean(axes: [Int]? = nil, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        sum(axes: axes, keepDimensions: keepDimensions, splitEvery: splitEvery) / Element(fromInt64: Int64(reducedCount(axes)))
    }

    /// The variance, in two passes (the mean, then the mean squared deviation from it), which
    /// keeps the precision one pass of sums of squares loses; `ddof` as numpy's.
    public func variance(axis: Int, ddof: Int = 0, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        variance(axes: [axis], ddof: ddof, keepDimensions: keepDimensions, splitEvery: splitEvery)
    }

    public func variance(axes: [Int]? = nil, ddof: Int = 0, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        let deviation = self - mean(axes: axes, keepDimensions: true, splitEvery: splitEvery)
        let squares = (deviation * deviation).sum(axes: axes, keepDimensions: keepDimensions, splitEvery: splitEvery)
        return squares / Element(fromInt64: Int64(reducedCount(axes) - ddof))
    }

    /// The standard deviation: the square root of `variance`.
    public func standardDeviation(axis: Int, ddof: Int = 0, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        LoomArray.sqrt(variance(axis: axis, ddof: ddof, keepDimensions: keepDimensions, splitEvery: splitEvery))
    }

    public func standardDeviation(axes: [Int]? = nil, ddof: Int = 0, keepDimensions: Bool = false, splitEvery: Int = 4) -> ChunkedArray {
        LoomArray.sqrt(variance(axes: axes, ddof: ddof, keepDimensions: keepDimensions, splitEvery: splitEvery))
    }

    /// numpy's spellings.
    public func `var`(axis: Int? = nil, ddof: Int = 0) -> ChunkedArray { variance(axes: axis.map { [$0] }, ddof: ddof) }
    public func std(axis: Int? = nil, ddof: Int = 0) -> ChunkedArray { standardDeviation(axes: axis.map { [$0] }, ddof: ddof) }
}
