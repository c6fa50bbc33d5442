import Foundation
import Loom
@testable import LoomArray
import LoomTestSupport
import Testing

/// Results on small shapes against plain loops, on the threads scheduler (every scheduler is
/// compared in SchedulerAgreementTests).
@Suite struct ChunkedArrayTests {
    let scheduler = Scheduler.threads(2)

    @Test func randomValuesDoNotDependOnTheChunks() async throws {
        let whole = try await ChunkedArray<Double>.random(shape: [37, 23], chunks: .shape([37, 23]), seed: 7).compute(scheduler: scheduler)
        let cut = try await ChunkedArray<Double>.random(shape: [37, 23], chunks: .sizes([[10, 20, 7], [1, 22]]), seed: 7).compute(scheduler: scheduler)
        #expect(whole == cut)
        #expect(whole.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = whole.scalars.reduce(0, +) / Double(whole.count)
        #expect(Swift.abs(mean - 0.5) < 0.05)
        let other = try await ChunkedArray<Double>.random(shape: [37, 23], chunks: .shape([8, 8]), seed: 8).compute(scheduler: scheduler)
        #expect(other != whole)
        let float = try await ChunkedArray<Float>.random(shape: [1000], chunks: .shape([300]), seed: 1).compute(scheduler: scheduler)
        #expect(float.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    @Test func elementwiseWithBroadcastingMatchesLoops() async throws {
        let a = Reference.matrix([6, 7]), b = Reference.matrix([7], salt: 1), c = Reference.matrix([6, 1], salt: 2)
        let x = ChunkedArray(a, chunks: .shape([4, 3])), y = ChunkedArray(b, chunks: .shape([5])), z = ChunkedArray(c, chunks: .shape([2, 1]))
        let result = try await ((x + y) * 2 - x / 4 + z * y - 1.5).compute(scheduler: scheduler)
        let expected = Reference.make([6, 7]) { i in (a[i] + b[[i[1]]]) * 2 - a[i] / 4 + c[[i[0], 0]] * b[[i[1]]] - 1.5 }
        #expect(close(result, expected))

        let unary = try await (abs(-x) + exp(x / 10) + sqrt(abs(x)) + log(abs(x) + 1)).compute(scheduler: scheduler)
        #expect(close(unary, Reference.make([6, 7]) { i in Swift.abs(a[i]) + Foundation.exp(a[i] / 10) + Swift.abs(a[i]).squareRoot() + Foundation.log(Swift.abs(a[i]) + 1) }))

        let comparison = try await ((x .> 0.5) .& (x .<= y)).compute(scheduler: scheduler)
        #expect(comparison.scalars == Reference.indices([6, 7]).map { i in a[i] > 0.5 && a[i] <= b[[i[1]]] })
        let counted = try await (x .> 0).astype(Double.self).sum().compute(scheduler: scheduler).scalar
        #expect(counted == Double(a.scalars.filter { $0 > 0 }.count))
    }

    @Test func transposedChainsFuseIntoOneTaskPerBlock() async throws {
        let x = ChunkedArray<Double>.random(shape: [40, 40], chunks: .shape([10, 10]), seed: 3)
        let expression = (x + x.T) * 2 - 1
        #expect(try expression.graph().count == 16)
        let values = try await expression.compute(scheduler: scheduler)
        let plain = try await x.compute(scheduler: scheduler)
        #expect(close(values, Reference.make([40, 40]) { i in (plain[i] + plain[[i[1], i[0]]]) * 2 - 1 }))
        // A materialized x (from memory) fuses the same way.
        let stored = ChunkedArray(plain, chunks: .shape([10, 10]))
        #expect(try ((stored + stored.T) * 2 - 1).graph().count == 16)
        #expect(close(try await ((stored + stored.T) * 2 - 1).compute(scheduler: scheduler), values))
    }

    @Test func slicesWithStepsMatchLoops() async throws {
        let a = Reference.matrix([9, 11])
        let x = ChunkedArray(a, chunks: .shape([4, 3]))
        let part = try await x[2..<7, 1...4].compute(scheduler: scheduler)
        #expect(part == Reference.make([5, 4]) { i in a[[i[0] + 2, i[1] + 1]] })
        let stepped = try await x[stride(from: 1, to: 9, by: 3), ArrayIndex.slice(start: nil, stop: nil, step: -2)].compute(scheduler: scheduler)
        #expect(stepped == Reference.make([3, 6]) { i in a[[1 + 3 * i[0], 10 - 2 * i[1]]] })
        let row = try await x[3].compute(scheduler: scheduler)
        #expect(row == Reference.make([11]) { i in a[[3, i[0]]] })
        let column = try await x[ArrayIndex.all, -1].compute(scheduler: scheduler)
        #expect(column == Reference.make([9]) { i in a[[i[0], 10]] })
        let element = try await x[4, 5].compute(scheduler: scheduler)
        #expect(element.shape == [] && element.scalar == a[[4, 5]])
        // Slices of slices, of transposes, added together: still views.
        let mixed = try await (x.T[1..<5, 2..<6] + x[2..<6, 1..<5].T).compute(scheduler: scheduler)
        #expect(mixed == Reference.make([4, 4]) { i in a[[i[1] + 2, i[0] + 1]] * 2 })
    }

    @Test func reductionsMatchLoops() async throws {
        let a = Reference.matrix([7, 9, 5])
        let x = ChunkedArray(a, chunks: .shape([2, 4, 3]))
        for axes in [[0], [1], [2], [0, 2], [0, 1, 2]] {
            let set = Set(axes)
            let sum = try await x.sum(axes: axes).compute(scheduler: scheduler)
            #expect(close(sum, Reference.reduce(a, axes: set, initial: 0, +)), "sum over \(axes)")
            let min = try await x.min(axes: axes).compute(scheduler: scheduler)
            #expect(min == Reference.reduce(a, axes: set, initial: .infinity, Swift.min), "min over \(axes)")
            let max = try await x.max(axes: axes, splitEvery: 2).compute(scheduler: scheduler)
            #expect(max == Reference.reduce(a, axes: set, initial: -.infinity, Swift.max), "max over \(axes)")
            let product = try await (x / 4 + 1).product(axes: axes).compute(scheduler: scheduler)
            #expect(close(product, Reference.reduce(try NDArray(shape: a.shape, scalars: a.scalars.map { $0 / 4 + 1 }), axes: set, initial: 1, *)))
            let count = Double(axes.reduce(1) { $0 * a.shape[$1] })
            let mean = Reference.reduce(a, axes: set, initial: 0, +)
            let expectedMean = try NDArray(shape: mean.shape, scalars: mean.scalars.map { $0 / count })
            #expect(close(try await x.mean(axes: axes).compute(scheduler: scheduler), expectedMean))
            // Variance from its definition.
            let deviations = Reference.make(a.shape) { i in
                let kept = i.enumerated().filter { !set.contains($0.offset) }.map(\.element)
                return Foundation.pow(a[i] - expectedMean[kept], 2)
            }
            let variance = Reference.reduce(deviations, axes: set, initial: 0, +)
            let expectedVariance = try NDArray(shape: variance.shape, scalars: variance.scalars.map { $0 / (count - 1) })
            #expect(close(try await x.variance(axes: axes, ddof: 1).compute(scheduler: scheduler), expectedVariance))
            #expect(close(
                try await x.standardDeviation(axes: axes, ddof: 1).compute(scheduler: scheduler),
                try NDArray(shape: variance.shape, scalars: expectedVariance.scalars.map { $0.squareRoot() })))
        }
        let kept = try await x.sum(axis: 1, keepDimensions: true).compute(scheduler: scheduler)
        #expect(kept.shape == [7, 1, 5])
        let total = try await x.sum().compute(scheduler: scheduler).scalar
        #expect(Swift.abs(total - a.scalars.reduce(0, +)) < 1e-9)
    }

    @Test func aNaNPropagatesThroughMinMaxAndMinimum() async throws {
        let x = ChunkedArray(NDArray<Double>([4, .nan, 1, 3, 2]), chunks: .shape([2]))
        #expect(try await x.min().compute(scheduler: scheduler).scalar.isNaN)
        #expect(try await x.max().compute(scheduler: scheduler).scalar.isNaN)
        let y = ChunkedArray(NDArray<Double>([1, 1, .nan, 5, 0]), chunks: .shape([3]))
        let smaller = try await minimum(x, y).compute(scheduler: scheduler).scalars
        #expect(smaller[0] == 1 && smaller[1].isNaN && smaller[2].isNaN && smaller[3] == 3 && smaller[4] == 0)
        #expect(try await x.argmax().compute(scheduler: scheduler).scalar == 1)
    }

    @Test func reductionTreesFoldSplitEveryPartialsPerTask() throws {
        let x = ChunkedArray<Double>.ones(shape: [64], chunks: .shape([1]))
        // 64 block tasks, then 16, 4 and 1 aggregate tasks with the default of 4.
        #expect(try x.sum().graph().count == 64 + 16 + 4 + 1)
        #expect(try x.sum(splitEvery: 8).graph().count == 64 + 8 + 1)
    }

    @Test func argminAndArgmaxMatchLoopsAndTakeTheFirstTie() async throws {
        let a = Reference.matrix([8, 10])
        let x = ChunkedArray(a, chunks: .shape([3, 4]))
        let flat = try await x.argmax().compute(scheduler: scheduler).scalar
        #expect(Int(flat) == a.scalars.firstIndex(of: a.scalars.max()!)!)
        let flatMin = try await x.argmin().compute(scheduler: scheduler).scalar
        #expect(Int(flatMin) == a.scalars.firstIndex(of: a.scalars.min()!)!)
        let alongRows = try await x.argmin(axis: 0).compute(scheduler: scheduler)
        #expect(alongRows.scalars == (0..<10).map { column in
            Int64((0..<8).min { a[[$0, column]] < a[[$1, column]] || (a[[$0, column]] == a[[$1, column]] && $0 < $1) }!)
        })
        let alongColumns = try await x.argmax(axis: 1, splitEvery: 2).compute(scheduler: scheduler)
        #expect(alongColumns.scalars == (0..<8).map { row in Int64((0..<10).first { a[[row, $0]] == (0..<10).map { a[[row, $0]] }.max()! }!) })
        let ties = ChunkedArray<Double>.ones(shape: [9], chunks: .shape([2]))
        #expect(try await ties.argmax().compute(scheduler: scheduler).scalar == 0)
    }

    @Test func matmulAndTensordotMatchLoops() async throws {
        let a = Reference.matrix([9, 7]), b = Reference.matrix([7, 5], salt: 3)
        let x = ChunkedArray(a, chunks: .shape([4, 3])), y = ChunkedArray(b, chunks: .shape([2, 2]))
        let product = try await x.matmul(y).compute(scheduler: scheduler)
        #expect(close(product, Reference.make([9, 5]) { i in (0..<7).reduce(0) { $0 + a[[i[0], $1]] * b[[$1, i[1]]] } }))
        let vector = ChunkedArray(Reference.matrix([7], salt: 4), chunks: .shape([3]))
        let v = Reference.matrix([7], salt: 4)
        #expect(close(try await x.dot(vector).compute(scheduler: scheduler), Reference.make([9]) { i in (0..<7).reduce(0) { $0 + a[[i[0], $1]] * v[[$1]] } }))
        #expect(Swift.abs(try await vector.dot(vector).compute(scheduler: scheduler).scalar - v.scalars.reduce(0) { $0 + $1 * $1 }) < 1e-9)

        let t = Reference.matrix([4, 5, 6]), u = Reference.matrix([6, 4, 3], salt: 1)
        let left = ChunkedArray(t, chunks: .shape([2, 5, 4])), right = ChunkedArray(u, chunks: .shape([3, 3, 2]))
        let contracted = try await left.tensordot(right, axes: ([0, 2], [1, 0])).compute(scheduler: scheduler)
        #expect(close(contracted, Reference.make([5, 3]) { i in
            var total = 0.0
            for p in 0..<4 { for q in 0..<6 { total += t[[p, i[0], q]] * u[[q, p, i[1]]] } }
            return total
        }))
        // Many pairs along the contraction: partial products folded as a tree, same values.
        let long = ChunkedArray(Reference.matrix([3, 40]), chunks: .shape([3, 2])), tall = ChunkedArray(Reference.matrix([40, 2], salt: 2), chunks: .shape([2, 2]))
        let longValues = Reference.matrix([3, 40]), tallValues = Reference.matrix([40, 2], salt: 2)
        #expect(close(try await long.matmul(tall).compute(scheduler: scheduler), Reference.make([3, 2]) { i in
            (0..<40).reduce(0) { $0 + longValues[[i[0], $1]] * tallValues[[$1, i[1]]] }
        }))
        let integers = ChunkedArray(try NDArray<Int64>(shape: [3, 4], scalars: (0..<12).map { Int64($0) - 5 }), chunks: .shape([2, 3]))
        let square = try await integers.matmul(integers.T).compute(scheduler: scheduler)
        #expect(square.scalars == [54, -2, -58, -2, 6, 14, -58, 14, 86])
    }

    @Test func rechunkReshapeConcatenateAndStackKeepTheValues() async throws {
        let a = Reference.matrix([12, 10])
        let x = ChunkedArray(a, chunks: .shape([5, 3]))
        for chunks: Chunks in [.shape([12, 10]), .shape([1, 10]), .shape([12, 1]), .sizes([[7, 5], [2, 8]]), .shape([5, 1])] {
            #expect(try await x.rechunk(chunks).compute(scheduler: scheduler) == a, "rechunk to \(chunks)")
        }
        #expect(try x.rechunk(.shape([4, 4])).chunks.sizes == [[4, 4, 4], [4, 4, 2]])
        #expect(try await x.reshaped([120]).compute(scheduler: scheduler).scalars == a.scalars)
        #expect(try await x.reshaped([4, 3, -1]).compute(scheduler: scheduler) == NDArray(shape: [4, 3, 10], scalars: a.scalars))
        #expect(try await x.reshaped([3, 40]).compute(scheduler: scheduler) == NDArray(shape: [3, 40], scalars: a.scalars))
        #expect(try await x.reshaped([12, 1, 10]).compute(scheduler: scheduler) == NDArray(shape: [12, 1, 10], scalars: a.scalars))
        let b = Reference.matrix([12, 4], salt: 1)
        let y = ChunkedArray(b, chunks: .shape([4, 4]))
        let joined = try await ChunkedArray.concatenate([x, y], axis: 1).compute(scheduler: scheduler)
        #expect(joined == Reference.make([12, 14]) { i in i[1] < 10 ? a[i] : b[[i[0], i[1] - 10]] })
        let stacked = try await ChunkedArray.stack([x, x * 2], axis: 1).compute(scheduler: scheduler)
        #expect(stacked == Reference.make([12, 2, 10]) { i in a[[i[0], i[2]]] * Double(i[1] + 1) })
    }

    @Test func aRowsToColumnsRechunkGoesInStages() throws {
        // Generated values take any blocks for free: one fused task per new block, nothing more.
        let x = ChunkedArray<Double>.ones(shape: [400, 400], chunks: .shape([1, 400])).rechunk(.shape([400, 1]))
        let stored = ChunkedArray(try NDArray(repeating: 1.0, shape: [400, 400]), chunks: .shape([1, 400]))
        let change = stored.rechunk(.shape([400, 1]))
        // One stage would link each of 400 new blocks to all 400 old ones: 160 000 edges.
        var edges = 0
        let graph = try change.graph()
        for task in 0..<graph.count { edges += Int(graph.dependencyOffsets[task + 1] - graph.dependencyOffsets[task]) }
        #expect(edges < 40_000)
        #expect(try x.graph().count == 400)
    }

    @Test func blockFunctionsAndMapBlocks() async throws {
        let positions = ChunkedArray<Double>.fromBlocks(shape: [6, 5], chunks: .shape([4, 2]), TestTasks.positions)
        #expect(try await positions.compute(scheduler: scheduler).scalars == (0..<30).map(Double.init))
        let mapped = try await positions.mapBlocks(TestTasks.squarePlusOne).compute(scheduler: scheduler)
        let squares: [Double] = (0..<30).map { (i: Int) -> Double in Double(i * i) + 1 }
        #expect(mapped.scalars == squares)
        let closure = ChunkedArray<Double>.fromBlocks(shape: [5], chunks: .shape([2])) { info in
            try NDArray(shape: info.shape, scalars: (0..<info.shape[0]).map { Double(info.start[0] + $0) })
        }
        let negated = closure.mapBlocks { (block: NDArray<Double>) in try NDArray(shape: block.shape, scalars: block.scalars.map { -$0 }) }
        #expect(try await negated.compute(scheduler: scheduler).scalars == [0, -1, -2, -3, -4])
    }

    @Test func mapBlocksMayChangeBlockShapesWhenItSaysHow() async throws {
        let x = ChunkedArray(Reference.matrix([6, 4]), chunks: .shape([3, 2]))
        // Each 3 × 2 block to its column sums, a 1 × 2 block: a 2 × 4 array.
        let sums = x.mapBlocks(chunks: [[1, 1], [2, 2]]) { (block: NDArray<Double>) in
            try NDArray(shape: [1, 2], scalars: (0..<2).map { column in (0..<3).reduce(0.0) { $0 + block[$1, column] } })
        }
        let a = Reference.matrix([6, 4])
        #expect(try await sums.compute(scheduler: scheduler) == Reference.make([2, 4]) { i in (0..<3).reduce(0.0) { $0 + a[[i[0] * 3 + $1, i[1]]] } })
        #expect(try await (sums * 2).sum(axis: 0).compute(scheduler: scheduler).shape == [4])
        let miscounted = x.mapBlocks(chunks: [[2], [2, 2]]) { (block: NDArray<Double>) in block }
        let message = try #require(await computeError(miscounted))
        #expect(message.contains("[1, 2]") && message.contains("[2, 2]"))
    }

    @Test func aBlockOfAnotherShapeThanItsPlaceIsRefusedNotMisread() async throws {
        let x = ChunkedArray(Reference.matrix([6, 4]), chunks: .shape([3, 2]))
        // Says nothing of changing shapes, yet drops a row: readers must refuse it.
        let shrunk = x.mapBlocks { (block: NDArray<Double>) in try NDArray(shape: [2, 2], scalars: Array(block.scalars.prefix(4))) }
        for reader in [shrunk + 1, shrunk.T * 2, shrunk.rechunk(.shape([6, 4])), shrunk.sum(axis: 0)] {
            let message = try #require(await computeError(reader))
            #expect(message.contains("[2, 2]") && message.contains("[3, 2]"), "\(message)")
        }
        #expect(try #require(await computeError(shrunk)).contains("[2, 2]"))
    }

    @Test func constantsRangesAndIntegerArrays() async throws {
        #expect(try await ChunkedArray<Double>.zeros(shape: [3, 2]).compute(scheduler: scheduler).scalars == [0, 0, 0, 0, 0, 0])
        #expect(try await ChunkedArray<Int32>.full(shape: [4], value: 7, chunks: .shape([3])).compute(scheduler: scheduler).scalars == [7, 7, 7, 7])
        #expect(try await ChunkedArray<Int64>.arange(10, chunks: .shape([3])).compute(scheduler: scheduler).scalars == Array(0..<10))
        let ranged = try await ChunkedArray<Double>.arange(start: 1, stop: 2, step: 0.25, chunks: .shape([3])).compute(scheduler: scheduler)
        #expect(ranged.scalars == [1, 1.25, 1.5, 1.75])
        let integers = ChunkedArray<Int64>.arange(12, chunks: .shape([5])).reshaped([3, 4])
        let thirds: ChunkedArray<Int64> = integers / 3 - integers * 2
        let rowSums: [Int64] = try await thirds.sum(axis: 1).compute(scheduler: scheduler).scalars
        #expect(rowSums == [-11, -38, -65])
        #expect(try await (integers / 0).max().compute(scheduler: scheduler).scalar == 0)
        #expect(try await integers.mean(axis: 0).compute(scheduler: scheduler).scalars == [4, 5, 6, 7])
        #expect(try await integers.astype(Float.self).sum().compute(scheduler: scheduler).scalar == 66)
        let truncated = try await ChunkedArray(NDArray<Double>([-1.5, 2.7, 0.2]), chunks: .shape([2])).astype(Int32.self).compute(scheduler: scheduler)
        #expect(truncated.scalars == [-1, 2, 0])
        let flags = ChunkedArray(NDArray<Bool>([true, false, true]), chunks: .shape([2]))
        #expect(try await (.!flags).compute(scheduler: scheduler).scalars == [false, true, false])
    }

    @Test func badInputIsAThrownErrorNamingWhatIsWrong() async throws {
        let x = ChunkedArray<Double>.ones(shape: [4, 5], chunks: .shape([2, 2]))
        let y = ChunkedArray<Double>.ones(shape: [3, 5], chunks: .shape([2, 2]))
        let mismatch = try #require(await computeError((x + y).sum()))
        #expect(mismatch.contains("[4, 5]") && mismatch.contains("[3, 5]") && mismatch.contains("+"))
        let matmul = try #require(await computeError(x.matmul(y)))
        #expect(matmul.contains("[4, 5]") && matmul.contains("[3, 5]") && matmul.contains("matmul"))
        let chunks = try #require(await computeError(ChunkedArray<Double>.zeros(shape: [4, 5], chunks: .sizes([[2, 2], [2, 2]]))))
        #expect(chunks.contains("dimension 1") && chunks.contains("5"))
        #expect(ChunkedArray<Double>.zeros(shape: [4, 5], chunks: .sizes([[2, 2], [2, 2]])).error != nil)
        let slice = try #require(await computeError(x[1..<9]))
        #expect(slice.contains("dimension 0") && slice.contains("9"))
        let axis = try #require(await computeError(x.sum(axis: 2)))
        #expect(axis.contains("axis 2") && axis.contains("[4, 5]"))
        let index = try #require(await computeError(x[0, 5]))
        #expect(index.contains("index 5") && index.contains("dimension 1"))
        let reshape = try #require(await computeError(x.reshaped([3, 7])))
        #expect(reshape.contains("[4, 5]") && reshape.contains("[3, 7]"))
        #expect(await computeError(ChunkedArray<Double>.zeros(shape: [0, 3]).min()) != nil)
    }

    @Test func aMalformedBlockProgramIsRefusedNotRun() throws {
        let block = try NDArray(repeating: 1.0, shape: [2, 2])
        // A leaf starting at element 3 of a 4-element block reads past its end.
        let program = BlockProgram(
            shape: [2, 2], leaves: [Leaf(source: .input(0), offset: 3, strides: [2, 1])], code: [.leaf(0)], constants: [], reduction: nil, resultShape: nil)
        #expect(throws: LoomError.self) { _ = try ProgramEvaluator.run(program, inputs: [block], as: Double.self) }
        let unbalanced = BlockProgram(shape: [2, 2], leaves: [], code: [.binary(.add)], constants: [], reduction: nil, resultShape: nil)
        #expect(throws: LoomError.self) { _ = try ProgramEvaluator.run(unbalanced, inputs: [block], as: Double.self) }
    }

    @Test func blocksEncodeAsShapeAndRawBytes() throws {
        let array = try NDArray(shape: [2, 3], scalars: [1.5, -2, 3, 4, 5, 6.25])
        let bytes = try ValueCodec.encode(array)
        #expect(bytes.count <= 6 * 8 + 24)  // the scalars, a few bytes of shape and tags
        #expect(try ValueCodec.decode(NDArray<Double>.self, from: bytes) == array)
        let flags = try NDArray(shape: [3], scalars: [true, false, true])
        #expect(try ValueCodec.decode(NDArray<Bool>.self, from: try ValueCodec.encode(flags)) == flags)
        #expect(throws: LoomError.self) { _ = try NDArray(shape: [2, 2], scalars: [1.0]) }
    }
}
