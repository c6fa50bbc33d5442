import Foundation
import Loom
import LoomTestSupport
import Testing

/// One set of array expressions on every scheduler: synchronous, threads, a process pool and a
/// distributed cluster, each checked against the same plain loops.
@Suite struct SchedulerAgreementTests {
    /// Expressions touching every kind of task: fused views, reductions, matmul, rechunk,
    /// reshape, concatenation, arg-reductions, a registered block function and map.
    static func expressions() -> [(String, ChunkedArray<Double>)] {
        let x = ChunkedArray<Double>.random(shape: [30, 30], chunks: .shape([8, 8]), seed: 5)
        let stored = ChunkedArray(Reference.matrix([30, 20]), chunks: .shape([7, 6]))
        let positions = ChunkedArray<Double>.fromBlocks(shape: [6, 4], chunks: .shape([4, 3]), TestTasks.positions)
        return [
            ("(x + x.T).mean(axis: 0).sum()", (x + x.T).mean(axis: 0).sum()),
            ("x[3..<20, stride(0, 30, 4)] * 2 - 1", x[3..<20, stride(from: 0, to: 30, by: 4)] * 2 - 1),
            ("x.matmul(stored).sum(axis: 1)", x.matmul(stored).sum(axis: 1)),
            ("stored.rechunk(30×1).T.reshaped(600)", stored.rechunk(.shape([30, 1])).T.reshaped([600])),
            ("concatenate + std", ChunkedArray.concatenate([stored, stored.T.T * 3], axis: 0).std(axis: 0)),
            ("argmax along 1", stored.argmax(axis: 1).astype(Double.self)),
            ("positions mapped", positions.mapBlocks(TestTasks.squarePlusOne)),
        ]
    }

    /// What each expression should come to, from plain loops over the same values.
    static func expected() async throws -> [NDArray<Double>] {
        let x = try await ChunkedArray<Double>.random(shape: [30, 30], chunks: .shape([30, 30]), seed: 5).compute(scheduler: .synchronous)
        let s = Reference.matrix([30, 20])
        let meanSum = (0..<30).reduce(0.0) { total, column in total + (0..<30).reduce(0.0) { $0 + x[[$1, column]] + x[[column, $1]] } / 30 }
        let rows = Array(3..<20), columns = Array(stride(from: 0, to: 30, by: 4))
        let product = Reference.make([30]) { i in (0..<20).reduce(0.0) { total, j in total + (0..<30).reduce(0.0) { $0 + x[[i[0], $1]] * s[[$1, j]] } } }
        let doubled = Reference.make([60, 20]) { i in i[0] < 30 ? s[i] : 3 * s[[i[0] - 30, i[1]]] }
        let deviation = Reference.make([20]) { j in
            let column = (0..<60).map { doubled[[$0, j[0]]] }
            let mean = column.reduce(0, +) / 60
            return (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 60).squareRoot()
        }
        return [
            try NDArray(shape: [], scalars: [meanSum]),
            Reference.make([rows.count, columns.count]) { i in x[[rows[i[0]], columns[i[1]]]] * 2 - 1 },
            product,
            Reference.make([600]) { i in s[[i[0] % 30, i[0] / 30]] },
            deviation,
            Reference.make([30]) { i in Double((0..<20).first { s[[i[0], $0]] == (0..<20).map { s[[i[0], $0]] }.max()! }!) },
            Reference.make([6, 4]) { i in Double(i[0] * 4 + i[1]) * Double(i[0] * 4 + i[1]) + 1 },
        ]
    }

    static func check(_ results: [NDArray<Double>], on scheduler: String) async throws {
        for ((name, _), (result, expected)) in zip(expressions(), zip(results, try await expected())) {
            #expect(close(result, expected), "\(name) on \(scheduler)")
        }
    }

    @Test(arguments: [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)])
    func everyLocalSchedulerComputesTheSame(scheduler: Scheduler) async throws {
        var results: [NDArray<Double>] = []
        for (_, expression) in Self.expressions() { results.append(try await expression.compute(scheduler: scheduler)) }
        try await Self.check(results, on: "\(scheduler)")
    }

    @Test func aClusterComputesTheSame() async throws {
        try await withCluster(workers: 2, threads: 1) { _, client in
            var results: [NDArray<Double>] = []
            for (_, expression) in Self.expressions() { results.append(try await expression.compute(on: client)) }
            try await Self.check(results, on: "a LocalCluster")
        }
    }
}
