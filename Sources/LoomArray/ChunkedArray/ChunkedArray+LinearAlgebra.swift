import LoomCore

extension ChunkedArray where Element: NumericElement {
    /// numpy's `tensordot`: sums products over pairs of axes, `axes.left[i]` of this array with
    /// `axes.right[i]` of `other`; the result has this array's other axes, then `other`'s.
    public func tensordot(_ other: ChunkedArray, axes: (left: [Int], right: [Int])) -> ChunkedArray {
        ChunkedArray(TensordotExpression(expression, other.expression, leftAxes: axes.left, rightAxes: axes.right, operation: "tensordot"))
    }

    /// numpy's `tensordot(a, b, axes=n)`: this array's last `n` axes with `other`'s first `n`.
    public func tensordot(_ other: ChunkedArray, axes count: Int = 2) -> ChunkedArray {
        tensordot(other, axes: (Array((rank - count)..<rank), Array(0..<count)))
    }

    /// The matrix product of 1-d and 2-d arrays (numpy's `@`): this array's last axis with
    /// `other`'s first (its only one for a vector). Each output block is a task multiplying
    /// pairs of blocks through BLAS.
    public func matmul(_ other: ChunkedArray) -> ChunkedArray {
        guard error == nil, other.error == nil else { return ChunkedArray(failure: (error ?? other.error)!) }
        guard (1...2).contains(rank), (1...2).contains(other.rank) else {
            return ChunkedArray(failure: LoomError(
                .invalidArgument, "matmul takes 1-d and 2-d arrays, not shapes \(shape) and \(other.shape) (tensordot contracts any axes)"))
        }
        return ChunkedArray(TensordotExpression(expression, other.expression, leftAxes: [rank - 1], rightAxes: [0], operation: "matmul"))
    }

    /// numpy's `dot` for 1-d and 2-d arrays: the same as `matmul`.
    public func dot(_ other: ChunkedArray) -> ChunkedArray { matmul(other) }
}
