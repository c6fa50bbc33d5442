import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// Lazy, partitioned frames: the plan, its checks, and group-by aggregations that agree with
/// plain Swift loops on every scheduler and on a cluster.
@Suite struct DataFrameTests {
    /// h2o-shaped rows: id1 (20 values, categorical), id2 (strings), id4 (int32), v1 int64 1…5,
    /// v3 double with some nulls.
    struct Rows {
        var id1: [String] = [], id2: [String] = [], id4: [Int32] = [], v1: [Int64] = [], v3: [Double?] = []

        init(count: Int, seed: UInt64) {
            var generator = SplitMix64(seed: seed)
            for _ in 0..<count {
                id1.append("id" + String(100 + generator.next(below: 20)).dropFirst())
                id2.append("k\(generator.next(below: 3))")
                id4.append(Int32(generator.next(below: 7)))
                v1.append(Int64(generator.next(below: 5) + 1))
                v3.append(generator.next(below: 10) == 0 ? nil : Double(generator.next(below: 10_000)) / 100)
            }
        }

        var table: Table {
            get throws {
                try Table(["id1": Column.categorical(id1), "id2": Column(id2), "id4": Column(id4), "v1": Column(v1), "v3": Column(v3)])
            }
        }
    }

    /// The issue's group-by, as a Swift loop: per (id1, id2) where v1 > 1, the sum of v1, the
    /// mean of v3 over non-null values, the row count, the max of v3, the std of v1.
    static func expected(_ rows: Rows) -> [[String]: (sum: Int64, mean: Double?, count: Int64, max: Double?, std: Double?)] {
        var groups: [[String]: (sum: Int64, v3: [Double], count: Int64, v1: [Double])] = [:]
        for row in rows.v1.indices where rows.v1[row] > 1 {
            var group = groups[[rows.id1[row], rows.id2[row]], default: (0, [], 0, [])]
            group.sum += rows.v1[row]
            if let v3 = rows.v3[row] { group.v3.append(v3) }
            group.count += 1
            group.v1.append(Double(rows.v1[row]))
            groups[[rows.id1[row], rows.id2[row]]] = group
        }
        return groups.mapValues { group in
            let mean = group.v3.isEmpty ? nil : group.v3.reduce(0, +) / Double(group.v3.count)
            let m = group.v1.reduce(0, +) / Double(group.v1.count)
            let std = group.v1.count < 2 ? nil : (group.v1.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(group.v1.count - 1)).squareRoot()
            return (group.sum, mean, group.count, group.v3.max(), std)
        }
    }

    static func frame(_ rows: Rows, partitions: Int) throws -> DataFrame {
        try DataFrame(try rows.table, partitions: partitions)
            .filter(col("v1") > 1)
            .groupBy("id1", "id2")
            .agg(.sum("v1"), .mean("v3"), .count(), .max("v3"), .std("v1"), splitEvery: 3)
    }

    static func check(_ result: Table, against rows: Rows, on scheduler: String) throws {
        let expected = Self.expected(rows)
        #expect(result.columnNames == ["id1", "id2", "v1_sum", "v3_mean", "count", "v3_max", "v1_std"], "\(scheduler)")
        #expect(result.rowCount == expected.count, "\(scheduler)")
        let (id1, id2) = (try result["id1"].strings, try result["id2"].strings)
        // Sorted by the keys, as pandas' groupby sorts.
        let keys = zip(id1, id2).map { [$0, $1] }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) }, "\(scheduler)")
        let (sums, means, counts, maxes, stds) = (try result["v1_sum"], try result["v3_mean"], try result["count"], try result["v3_max"], try result["v1_std"])
        for (row, key) in keys.enumerated() {
            let want = try #require(expected[key], "group \(key) on \(scheduler)")
            #expect(sums[row] == .int(want.sum), "\(key) on \(scheduler)")
            #expect(counts[row] == .int(want.count), "\(key) on \(scheduler)")
            #expect(maxes[row] == want.max.map { .double($0) }, "\(key) on \(scheduler)")
            #expect(close(means[row], want.mean), "\(key) mean on \(scheduler)")
            #expect(close(stds[row], want.std), "\(key) std on \(scheduler)")
        }
    }

    static func close(_ value: Scalar?, _ expected: Double?) -> Bool {
        switch (value, expected) {
        case (nil, nil): true
        case (.double(let a)?, let b?): abs(a - b) <= 1e-9 * max(1, abs(b))
        default: false
        }
    }

    @Test(arguments: [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)])
    func theIssuesGroupByAgreesWithALoopOnEveryScheduler(scheduler: Scheduler) async throws {
        let rows = Rows(count: 2_000, seed: 7)
        let result = try await Self.frame(rows, partitions: 10).compute(scheduler: scheduler)
        try Self.check(result, against: rows, on: "\(scheduler)")
    }

    @Test func aClusterComputesTheSame() async throws {
        let rows = Rows(count: 2_000, seed: 11)
        try await withCluster(workers: 2, threads: 1) { _, client in
            let result = try await Self.frame(rows, partitions: 7).compute(on: client)
            try Self.check(result, against: rows, on: "a LocalCluster")
            #expect(try await DataFrame(try rows.table, partitions: 5).filter(col("v1") > 3).compute(on: client).rowCount == rows.v1.filter { $0 > 3 }.count)
        }
    }

    @Test func everyAggregationMatchesALoop() async throws {
        let rows = Rows(count: 600, seed: 3)
        let result = try await DataFrame(try rows.table, partitions: 4).groupBy("id4")
            .agg(.sum("v3"), .count("v3"), .size(), .min("v1"), .max("id2"), .var("v3"), .first("v3"), .last("id2"))
            .compute(scheduler: .synchronous)
        #expect(result.columnNames == ["id4", "v3_sum", "v3_count", "size", "v1_min", "id2_max", "v3_var", "v3_first", "id2_last"])
        #expect(try result["id4"].int32s == Array(Set(rows.id4)).sorted())
        for (row, key) in try result["id4"].int32s.enumerated() {
            let members = rows.id4.indices.filter { rows.id4[$0] == key }
            let v3 = members.compactMap { rows.v3[$0] }
            #expect(Self.close(try result["v3_sum"][row], v3.reduce(0, +)))
            #expect(try result["v3_count"][row] == .int(Int64(v3.count)))
            #expect(try result["size"][row] == .int(Int64(members.count)))
            #expect(try result["v1_min"][row] == .int(members.map { rows.v1[$0] }.min()!))
            #expect(try result["id2_max"][row] == .string(members.map { rows.id2[$0] }.max()!))
            let mean = v3.reduce(0, +) / Double(v3.count)
            #expect(Self.close(try result["v3_var"][row], v3.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v3.count - 1)))
            #expect(try result["v3_first"][row] == v3.first.map { .double($0) })
            #expect(try result["id2_last"][row] == .string(rows.id2[members.last!]))
        }
    }

    @Test func countHeadAndPartitionwiseSteps() async throws {
        let rows = Rows(count: 1_000, seed: 5)
        let frame = try DataFrame(try rows.table, partitions: 8)
        #expect(frame.partitionCount == 8)
        #expect(try await frame.count() == 1_000)
        let big = frame.filter(col("v1") >= 4).assign("v4", col("v1") * 2 + col("id4")).select("id1", "v4").rename(["v4": "w"])
        #expect(try await big.count(scheduler: .threads(2)) == rows.v1.filter { $0 >= 4 }.count)
        let head = try await big.head(3)
        let wanted = rows.v1.indices.filter { rows.v1[$0] >= 4 }.prefix(3)
        #expect(head.columnNames == ["id1", "w"])
        #expect(try head["w"].int64s == wanted.map { rows.v1[$0] * 2 + Int64(rows.id4[$0]) })
        #expect(try await frame.partition(7).compute().rowCount == 125)
        #expect(try await big.partition(0).count() == rows.v1.prefix(125).filter { $0 >= 4 }.count)
        #expect(throws: LoomError.self) { try frame.partition(8) }
        let whole = try await big.compute()
        #expect(try whole["id1"].strings == rows.v1.indices.filter { rows.v1[$0] >= 4 }.map { rows.id1[$0] })
    }

    @Test func aBadPlanIsAnErrorBeforeAnythingRuns() async throws {
        let frame = try DataFrame(try Rows(count: 10, seed: 1).table, partitions: 2)
        let unknown = await #expect(throws: LoomError.self) { try await frame.filter(col("v9") > 1).compute() }
        #expect(unknown?.message.hasPrefix("no column 'v9'; the columns are id1: category, id2: string") == true)
        let clash = await #expect(throws: LoomError.self) { try await frame.groupBy("id1").agg(.mean("id2")).compute() }
        #expect(clash?.message == "cannot take the mean of column 'id2' of type string")
        let notBool = #expect(throws: LoomError.self) { try frame.filter(col("v1") + 1).explain() }
        #expect(notBool?.message == "a filter needs a bool expression, but (col(\"v1\") + 1) is int64")
        let twice = #expect(throws: LoomError.self) { try frame.groupBy("id1").agg(.sum("v1"), .sum("v1")).schema }
        #expect(twice?.message == "the group-by gives two columns named 'v1_sum': name one with `as:`")
    }

    @Test func explainShowsTheFusedPlan() throws {
        let frame = try DataFrame(try Rows(count: 100, seed: 1).table, partitions: 4)
            .filter(col("v1") > 1).assign("v4", col("v1") * 2)
            .groupBy("id1").agg(.sum("v4"), .count())
        #expect(try frame.explain() == """
            GroupBy [id1]: v4_sum = sum(v4), count = size(*); tree reduction, splitEvery 8
              Partitionwise (one task per partition): filter (col("v1") > 1); assign v4 = (col("v1") * 2)
                Tables: 4 partitions in memory, 100 rows
            """)
        #expect(try frame.schema.description == "id1: category, v4_sum: int64, count: int64")
    }

    @Test func theTreeCombinesAtMostSplitEveryPartialsPerTask() throws {
        let frame = try DataFrame(try Rows(count: 100, seed: 1).table, partitions: 20).groupBy("id1").agg(.sum("v1"), splitEvery: 4)
        let partitions = try frame.plan.partitions()
        guard case .node(let root) = partitions.first else { Issue.record("no task"); return }
        let graph = TaskGraph(outputs: [root])
        // 20 chunks, 5 combines of 4, 2 combines of those (4 and 1), one final task of the 2.
        #expect(graph.count == 28)
        #expect((0..<graph.count).map { graph.dependencies(of: $0).count }.max() == 4)
    }
}
