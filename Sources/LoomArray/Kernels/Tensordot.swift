import LoomCore

/// Which axes a block tensordot contracts (numpy's `tensordot(a, b, axes=(leftAxes, rightAxes))`).
///
/// Axes count from 0; negative ones count from the end, as numpy's do. Empty lists contract
/// nothing: the result is the outer product.
struct TensordotPlan: Codable, Sendable, Equatable {
    var leftAxes: [Int]
    var rightAxes: [Int]
}

enum Tensordot {
    /// Σᵢ tensordot(left[i], right[i]) over the plan's axes: the blocks along the contracted axes, pairwise.
    /// Result axes: left's free axes in order, then right's free axes (numpy's order).
    ///
    /// One output block of a chunked `tensordot` or `matmul` is this sum over the row of left
    /// blocks and the column of right blocks that meet in it; their contracted lengths may
    /// differ from pair to pair (chunks along a contracted axis need not be equal).
    // Reached through type-erased task functions: specialized here, or the loops go through witness tables.
    @_specialize(where E == Double)
    @_specialize(where E == Float)
    @_specialize(where E == Int64)
    @_specialize(where E == Int32)
    static func run<E: NumericElement>(_ plan: TensordotPlan, left: [NDArray<E>], right: [NDArray<E>]) throws -> NDArray<E> {
        let layout = try Layout(plan, left: left, right: right)
        let (m, n) = (layout.leftFreeShape.reduce(1, *), layout.rightFreeShape.reduce(1, *))
        let scalars = [E](unsafeUninitializedCapacity: m * n) { result, initialized in
            // An empty result has nothing to compute (and may have no address).
            guard let c = result.baseAddress else { return }
            for (pair, (leftBlock, rightBlock)) in zip(left, right).enumerated() {
                let k = layout.contractedLength(of: leftBlock)
                // A block is copied into matrix order only when it is not there already: a
                // plain matmul's blocks, or blocks contracted along their trailing (left) and
                // leading (right) axes in order, are multiplied where they lie.
                let leftMatrix = leftBlock.permuted(to: layout.leftOrder)
                let rightMatrix = rightBlock.permuted(to: layout.rightOrder)
                leftMatrix.withUnsafeBufferPointer { a in
                    rightMatrix.withUnsafeBufferPointer { b in
                        // An operand without an address is empty, so k is 0 and it is never read.
                        BLAS.multiply(
                            m: m, n: n, k: k, a: a.baseAddress ?? UnsafePointer(c), lda: k, b: b.baseAddress ?? UnsafePointer(c),
                            ldb: n, c: c, ldc: n, accumulate: pair > 0)
                    }
                }
            }
            initialized = m * n
        }
        return NDArray(uncheckedShape: layout.leftFreeShape + layout.rightFreeShape, scalars: scalars)
    }

    /// The plan checked against the blocks: which axes are free, and how each block's axes are
    /// ordered into a (free × contracted) or (contracted × free) matrix.
    private struct Layout {
        var leftContracted: [Int]
        var rightContracted: [Int]
        /// Left's axes as its matrix holds them: free ones, then contracted ones.
        var leftOrder: [Int]
        /// Right's: contracted ones, then free ones.
        var rightOrder: [Int]
        var leftFreeShape: [Int]
        var rightFreeShape: [Int]

        init<E: NumericElement>(_ plan: TensordotPlan, left: [NDArray<E>], right: [NDArray<E>]) throws {
            guard !left.isEmpty, left.count == right.count else {
                throw LoomError(
                    .invalidArgument,
                    "tensordot sums over pairs of blocks, but was given \(left.count) left and \(right.count) right block(s)")
            }
            guard plan.leftAxes.count == plan.rightAxes.count else {
                throw LoomError(
                    .invalidArgument,
                    "tensordot contracts axes \(plan.leftAxes) of the left array with axes \(plan.rightAxes) of the right: "
                        + "the lists must be as long as each other")
            }
            let (firstLeft, firstRight) = (left[0], right[0])
            let leftContracted = try Self.normalized(plan.leftAxes, side: "left", shape: firstLeft.shape)
            let rightContracted = try Self.normalized(plan.rightAxes, side: "right", shape: firstRight.shape)
            let leftFree = firstLeft.shape.indices.filter { !leftContracted.contains($0) }
            let rightFree = firstRight.shape.indices.filter { !rightContracted.contains($0) }
            let leftFreeShape = leftFree.map { firstLeft.shape[$0] }, rightFreeShape = rightFree.map { firstRight.shape[$0] }

            for (leftBlock, rightBlock) in zip(left, right) {
                let leftShape = leftBlock.shape, rightShape = rightBlock.shape
                guard leftShape.count == firstLeft.rank, leftFree.map({ leftShape[$0] }) == leftFreeShape,
                    rightShape.count == firstRight.rank, rightFree.map({ rightShape[$0] }) == rightFreeShape
                else {
                    throw LoomError(
                        .invalidArgument,
                        "tensordot over axes \(plan.leftAxes) and \(plan.rightAxes) sums blocks whose free axes must agree, "
                            + "but pairs of shapes \(firstLeft.shape) · \(firstRight.shape) and \(leftShape) · \(rightShape) differ")
                }
                let leftLengths = leftContracted.map { leftShape[$0] }, rightLengths = rightContracted.map { rightShape[$0] }
                guard leftLengths == rightLengths else {
                    throw LoomError(
                        .invalidArgument,
                        "tensordot contracts axes \(plan.leftAxes) of shape \(leftShape) (lengths \(leftLengths)) with axes "
                            + "\(plan.rightAxes) of shape \(rightShape) (lengths \(rightLengths)): the lengths must match")
                }
            }
            self.leftContracted = leftContracted
            self.rightContracted = rightContracted
            leftOrder = leftFree + leftContracted
            rightOrder = rightContracted + rightFree
            self.leftFreeShape = leftFreeShape
            self.rightFreeShape = rightFreeShape
        }

        func contractedLength<E>(of block: NDArray<E>) -> Int { leftContracted.reduce(1) { $0 * block.shape[$1] } }

        /// Axes from 0, each in range and none twice.
        private static func normalized(_ axes: [Int], side: String, shape: [Int]) throws -> [Int] {
            let normalized = try axes.map { axis in
                guard axis >= -shape.count && axis < shape.count else {
                    throw LoomError(
                        .invalidArgument,
                        "tensordot's \(side) axis \(axis) is out of range for shape \(shape) (\(shape.count) dimension(s))")
                }
                return axis < 0 ? axis + shape.count : axis
            }
            guard Set(normalized).count == normalized.count else {
                throw LoomError(.invalidArgument, "tensordot's \(side) axes \(axes) name an axis twice (shape \(shape))")
            }
            return normalized
        }
    }
}

extension NDArray {
    /// The scalars with the axes reordered (`order[d]` is the source axis of result axis `d`),
    /// as one contiguous row-major run: numpy's `transpose(order).copy()`. No copy when `order`
    /// is already the identity.
    func permuted(to order: [Int]) -> [Element] {
        if order.elementsEqual(order.indices) { return scalars }
        let sourceStrides = strides
        let shape = order.map { self.shape[$0] }, steps = order.map { sourceStrides[$0] }
        let total = scalars.count
        guard total > 0 else { return [] }
        let lastLength = shape[shape.count - 1], lastStep = steps[steps.count - 1]
        return [Element](unsafeUninitializedCapacity: total) { result, initialized in
            scalars.withUnsafeBufferPointer { source in
                // An odometer over every result axis but the last; the last is the inner loop.
                var index = [Int](repeating: 0, count: shape.count - 1)
                var sourceOffset = 0, written = 0
                while written < total {
                    var position = sourceOffset
                    for column in 0..<lastLength {
                        result[written + column] = source[position]
                        position += lastStep
                    }
                    written += lastLength
                    var axis = index.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        sourceOffset += steps[axis]
                        if index[axis] < shape[axis] { break }
                        sourceOffset -= steps[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
            initialized = total
        }
    }
}
