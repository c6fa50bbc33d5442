import LoomCore
import Testing

@testable import LoomArray

/// Block tensordot and the matrix multiply under it, against numpy's definition written as
/// plain nested loops.
@Suite struct TensordotTests {
    @Test(arguments: [(7, 5, 3), (1, 1, 1), (3, 17, 2), (65, 259, 5), (0, 4, 3), (4, 0, 3), (4, 3, 0)])
    func aMatmulMatchesLoops(sizes: (Int, Int, Int)) throws {
        let (rows, inner, columns) = sizes
        let left = array(Double.self, [rows, inner], seed: 1), right = array(Double.self, [inner, columns], seed: 2)
        let result = try Tensordot.run(TensordotPlan(leftAxes: [1], rightAxes: [0]), left: [left], right: [right])
        #expect(result.shape == [rows, columns])
        expectClose(result, naiveTensordot(left, right, leftAxes: [1], rightAxes: [0]), tolerance: 1e-12)
    }

    @Test func pairsOfBlocksAreSummed() throws {
        // The blocks along the contracted axis have different lengths, as uneven chunks do.
        let lefts = [array(Double.self, [7, 5], seed: 3), array(Double.self, [7, 2], seed: 4), array(Double.self, [7, 9], seed: 5)]
        let rights = [array(Double.self, [5, 3], seed: 6), array(Double.self, [2, 3], seed: 7), array(Double.self, [9, 3], seed: 8)]
        let result = try Tensordot.run(TensordotPlan(leftAxes: [1], rightAxes: [0]), left: lefts, right: rights)
        var expected = naiveTensordot(lefts[0], rights[0], leftAxes: [1], rightAxes: [0])
        for pair in 1..<lefts.count {
            let term = naiveTensordot(lefts[pair], rights[pair], leftAxes: [1], rightAxes: [0])
            for index in expected.scalars.indices { expected.scalars[index] += term.scalars[index] }
        }
        expectClose(result, expected, tolerance: 1e-12)
    }

    @Test func floatsMatchWithinTheirPrecision() throws {
        let lefts = [array(Float.self, [9, 13], seed: 9), array(Float.self, [9, 4], seed: 10)]
        let rights = [array(Float.self, [13, 6], seed: 11), array(Float.self, [4, 6], seed: 12)]
        let result = try Tensordot.run(TensordotPlan(leftAxes: [1], rightAxes: [0]), left: lefts, right: rights)
        var expected = naiveTensordot(lefts[0], rights[0], leftAxes: [1], rightAxes: [0])
        let term = naiveTensordot(lefts[1], rights[1], leftAxes: [1], rightAxes: [0])
        for index in expected.scalars.indices { expected.scalars[index] += term.scalars[index] }
        expectClose(result, expected, tolerance: 1e-4)
    }

    @Test func integersAreExact() throws {
        let plan = TensordotPlan(leftAxes: [1], rightAxes: [0])
        let left64 = array(Int64.self, [7, 5], seed: 13), right64 = array(Int64.self, [5, 3], seed: 14)
        #expect(try Tensordot.run(plan, left: [left64], right: [right64]) == naiveTensordot(left64, right64, leftAxes: [1], rightAxes: [0]))
        let left32 = array(Int32.self, [11, 300], seed: 15), right32 = array(Int32.self, [300, 4], seed: 16)
        #expect(try Tensordot.run(plan, left: [left32], right: [right32]) == naiveTensordot(left32, right32, leftAxes: [1], rightAxes: [0]))
    }

    @Test func integerOverflowWrapsAsNumpysDoes() throws {
        let left = NDArray<Int32>([.max, 2]), right = NDArray<Int32>([2, 1])
        let result = try Tensordot.run(TensordotPlan(leftAxes: [0], rightAxes: [0]), left: [left], right: [right])
        #expect(result.scalars == [Int32.max &* 2 &+ 2])
    }

    @Test func aThreeDimensionalBlockContractsTwoAxes() throws {
        // numpy.tensordot(a, b, axes=([0, 2], [1, 0])) with a of shape (4, 3, 5), b of (5, 4, 6).
        let left = array(Double.self, [4, 3, 5], seed: 17), right = array(Double.self, [5, 4, 6], seed: 18)
        let plan = TensordotPlan(leftAxes: [0, 2], rightAxes: [1, 0])
        let result = try Tensordot.run(plan, left: [left], right: [right])
        #expect(result.shape == [3, 6])
        expectClose(result, naiveTensordot(left, right, leftAxes: [0, 2], rightAxes: [1, 0]), tolerance: 1e-12)
    }

    @Test func aTransposedLeftBlockIsContractedAlongItsFirstAxis() throws {
        // aᵀ · b, as `a.T @ b` lowers: left's axis 0 against right's axis 0.
        let lefts = [array(Double.self, [5, 7], seed: 19), array(Double.self, [3, 7], seed: 20)]
        let rights = [array(Double.self, [5, 4], seed: 21), array(Double.self, [3, 4], seed: 22)]
        let plan = TensordotPlan(leftAxes: [0], rightAxes: [0])
        let result = try Tensordot.run(plan, left: lefts, right: rights)
        var expected = naiveTensordot(lefts[0], rights[0], leftAxes: [0], rightAxes: [0])
        let term = naiveTensordot(lefts[1], rights[1], leftAxes: [0], rightAxes: [0])
        for index in expected.scalars.indices { expected.scalars[index] += term.scalars[index] }
        #expect(result.shape == [7, 4])
        expectClose(result, expected, tolerance: 1e-12)
    }

    @Test func aVectorDotAVectorIsZeroDimensional() throws {
        let result = try Tensordot.run(
            TensordotPlan(leftAxes: [0], rightAxes: [0]), left: [NDArray<Double>([1, 2, 3])], right: [NDArray<Double>([4, 5, 6])])
        #expect(result.shape == [])
        #expect(result.scalar == 32)
    }

    @Test func aMatrixTimesAVectorAndAnOuterProduct() throws {
        let matrix = array(Double.self, [6, 4], seed: 23), vector = array(Double.self, [4], seed: 24)
        let product = try Tensordot.run(TensordotPlan(leftAxes: [-1], rightAxes: [0]), left: [matrix], right: [vector])
        #expect(product.shape == [6])
        expectClose(product, naiveTensordot(matrix, vector, leftAxes: [1], rightAxes: [0]), tolerance: 1e-12)
        let outer = try Tensordot.run(TensordotPlan(leftAxes: [], rightAxes: []), left: [vector], right: [matrix])
        #expect(outer.shape == [4, 6, 4])
        expectClose(outer, naiveTensordot(vector, matrix, leftAxes: [], rightAxes: []), tolerance: 1e-12)
    }

    @Test func mismatchedContractedLengthsNameBothShapes() {
        let error = #expect(throws: LoomError.self) {
            try Tensordot.run(
                TensordotPlan(leftAxes: [1], rightAxes: [0]), left: [array(Double.self, [7, 5], seed: 25)],
                right: [array(Double.self, [4, 3], seed: 26)])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("[7, 5]") == true)
        #expect(error?.message.contains("[4, 3]") == true)
    }

    @Test func badPlansAndBlockListsAreRefused() {
        let matrix = array(Double.self, [3, 3], seed: 27)
        let cases: [(TensordotPlan, [NDArray<Double>], [NDArray<Double>], String)] = [
            (TensordotPlan(leftAxes: [1], rightAxes: [0]), [], [], "0 left"),
            (TensordotPlan(leftAxes: [1], rightAxes: [0]), [matrix, matrix], [matrix], "2 left and 1 right"),
            (TensordotPlan(leftAxes: [1, 0], rightAxes: [0]), [matrix], [matrix], "[1, 0]"),
            (TensordotPlan(leftAxes: [2], rightAxes: [0]), [matrix], [matrix], "axis 2 is out of range"),
            (TensordotPlan(leftAxes: [0], rightAxes: [-3]), [matrix], [matrix], "axis -3 is out of range"),
            (TensordotPlan(leftAxes: [0, -2], rightAxes: [0, 1]), [matrix], [matrix], "twice"),
            (
                TensordotPlan(leftAxes: [1], rightAxes: [0]), [matrix, array(Double.self, [4, 3], seed: 28)], [matrix, matrix],
                "[4, 3]"
            ),
        ]
        for (plan, left, right, expected) in cases {
            let error = #expect(throws: LoomError.self) { try Tensordot.run(plan, left: left, right: right) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should name \(expected)")
        }
    }

    @Test(arguments: [false, true])
    func blasMultiplyAccumulatesIntoC(doubles: Bool) {
        let (m, n, k) = (5, 4, 3)
        let a = (0..<(m * k)).map { Double($0) - 4 }, b = (0..<(k * n)).map { Double($0 % 5) + 0.5 }
        var c = (0..<(m * n)).map { Double($0) * 10 }
        let before = c
        if doubles {
            BLAS.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, accumulate: true)
        } else {
            // Loom's own loops, whichever library serves doubles here.
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.loopMultiply(
                            m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n,
                            accumulate: true)
                    }
                }
            }
        }
        for row in 0..<m {
            for column in 0..<n {
                let product = (0..<k).reduce(0.0) { $0 + a[row * k + $1] * b[$1 * n + column] }
                #expect(c[row * n + column] == before[row * n + column] + product)
            }
        }
    }

    @Test func loomsLoopsAreRightAcrossTileEdges() {
        // One more than a tile in every direction (64 rows, 256 inner, 256 columns), so every
        // loop has a partial last tile; integers, so any slip shows exactly.
        let (m, n, k) = (65, 257, 258)
        let a = array(Int64.self, [m, k], seed: 29).scalars, b = array(Int64.self, [k, n], seed: 30).scalars
        var c = [Int64](repeating: 0, count: m * n)
        BLAS.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, accumulate: false)
        var expected = [Int64](repeating: 0, count: m * n)
        for row in 0..<m {
            for inner in 0..<k {
                for column in 0..<n { expected[row * n + column] += a[row * k + inner] * b[inner * n + column] }
            }
        }
        #expect(c == expected)
    }

    @Test func blasMultiplyHonoursLeadingDimensions() {
        // A 2×3 window of a 4-wide A, a 3×2 window of a 5-wide B, into a 2×2 window of a 3-wide C.
        let a: [Int64] = Array(1...8), b: [Int64] = Array(1...15)
        var c = [Int64](repeating: -1, count: 6)
        BLAS.multiply(m: 2, n: 2, k: 3, a: a, lda: 4, b: b, ldb: 5, c: &c, ldc: 3, accumulate: false)
        // Rows of A: [1, 2, 3] and [5, 6, 7]; columns of B: [1, 6, 11] and [2, 7, 12]. C's third column is untouched.
        let expected: [Int64] = [46, 52, -1, 118, 136, -1]
        #expect(c == expected)
        #expect(!BLAS.backend.isEmpty)
    }
}

/// Reproducible values in [-4, 4] (whole numbers, so integer and float results are exact).
private func array<E: NumericElement>(_: E.Type, _ shape: [Int], seed: UInt64) -> NDArray<E> {
    let count = shape.reduce(1, *)
    let scalars = (0..<count).map { index -> E in
        let bits = (seed &* 0x9e37_79b9_7f4a_7c15 &+ UInt64(index) &* 0xbf58_476d_1ce4_e5b9) >> 29
        let value = Int64(bits % 9) - 4
        return E.isFloatingPoint ? E(fromDouble: Double(value) + Double(bits % 7) / 8) : E(fromInt64: value)
    }
    return NDArray(uncheckedShape: shape, scalars: scalars)
}

/// numpy's tensordot, one output element at a time.
private func naiveTensordot<E: NumericElement>(_ left: NDArray<E>, _ right: NDArray<E>, leftAxes: [Int], rightAxes: [Int]) -> NDArray<E> {
    let leftFree = left.shape.indices.filter { !leftAxes.contains($0) }
    let rightFree = right.shape.indices.filter { !rightAxes.contains($0) }
    let shape = leftFree.map { left.shape[$0] } + rightFree.map { right.shape[$0] }
    let contracted = leftAxes.map { left.shape[$0] }
    var result = NDArray<E>(uncheckedShape: shape, scalars: [E](repeating: .zero, count: shape.reduce(1, *)))
    for outputIndex in allIndices(of: shape) {
        var sum = E.zero
        for innerIndex in allIndices(of: contracted) {
            var leftIndex = [Int](repeating: 0, count: left.rank), rightIndex = [Int](repeating: 0, count: right.rank)
            for (position, axis) in leftFree.enumerated() { leftIndex[axis] = outputIndex[position] }
            for (position, axis) in rightFree.enumerated() { rightIndex[axis] = outputIndex[leftFree.count + position] }
            for (position, axis) in leftAxes.enumerated() { leftIndex[axis] = innerIndex[position] }
            for (position, axis) in rightAxes.enumerated() { rightIndex[axis] = innerIndex[position] }
            sum = E.add(sum, E.multiply(left[leftIndex], right[rightIndex]))
        }
        result[outputIndex] = sum
    }
    return result
}

/// Every index of a shape, in row-major order (one, the empty index, for shape []).
private func allIndices(of shape: [Int]) -> [[Int]] {
    shape.reduce([[]]) { prefixes, length in prefixes.flatMap { prefix in (0..<length).map { prefix + [$0] } } }
}

private func expectClose<E: FloatingElement>(
    _ actual: NDArray<E>, _ expected: NDArray<E>, tolerance: Double, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    for (got, want) in zip(actual.scalars, expected.scalars) {
        let scale = max(abs(want.asDouble), 1)
        #expect(abs(got.asDouble - want.asDouble) <= tolerance * scale, "\(got) vs \(want)", sourceLocation: sourceLocation)
    }
}
