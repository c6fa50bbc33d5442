import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// Sorting across partitions, top rows, distinct rows, value counts, distinct counts, describe,
/// map/persist/repartition: each against a plain Swift loop over the same rows, on every scheduler.
@Suite struct SortAndSummaryTests {
    static let schedulers: [Scheduler] = [.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)]

    /// 600 rows: k (a few strings, some null), v (ints with repeats), x (doubles).
    static func rows() throws -> (table: Table, k: [String?], v: [Int64], x: [Double]) {
        var generator = SplitMix64(seed: 21)
        let k: [String?] = (0..<600).map { _ in let n = generator.next(below: 9); return n == 0 ? nil : "k\(n)" }
        let v = (0..<600).map { _ in Int64(generator.next(below: 50)) - 10 }
        let x = (0..<600).map { _ in Double(generator.next(below: 100_000)) / 7 }
        return (try Table(["k": Column(k), "v": Column(v), "x": Column(x)]), k, v, x)
    }

    @Test func sortValuesOrdersRowsAcrossPartitions() async throws {
        let (table, k, v, x) = try Self.rows()
        // Swift's own stable sort: k ascending with nulls last, then v descending.
        let order = (0..<600).sorted { a, b in
            switch (k[a], k[b]) {
            case let (l?, r?) where l != r: return l < r
            case (nil, _?): return false
            case (_?, nil): return true
            default: return v[a] != v[b] ? v[a] > v[b] : a < b
            }
        }
        let frame = try DataFrame(table, partitions: 6).sortValues(["k", "v"], ascending: [true, false])
        #expect(try frame.explain().hasPrefix("Sort by [k, v descending]: sampled boundaries, a range shuffle into 6 partitions"))
        for scheduler in Self.schedulers {
            let sorted = try await frame.compute(scheduler: scheduler)
            #expect(try sorted["x"].doubles == order.map { x[$0] }, "\(scheduler)")
        }
        // Partition i's last row sorts before partition i + 1's first.
        var previous: Int64?
        for index in 0..<frame.partitionCount {
            let part = try await DataFrame(try await frame.partition(index).compute(), partitions: 1).filter(col("k") == "k5").compute()
            guard part.rowCount > 0 else { continue }
            let values = try part["v"].int64s
            if let previous { #expect(previous >= values.first!) }
            previous = values.last
        }
        let descending = try await DataFrame(table, partitions: 4).sortValues("x", ascending: false).head(5)
        #expect(try descending["x"].doubles == Array(x.sorted(by: >).prefix(5)))
    }

    @Test func setIndexWritesFilesInIndexOrder() async throws {
        try await CSVTests.withFolder { folder in
            let (table, _, _, x) = try Self.rows()
            let paths = try await DataFrame(table, partitions: 5).setIndex("x").toParquet(folder)
            #expect(paths.count == 5)
            var all: [Double] = []
            for path in paths {
                let part = try await DataFrame.readParquet(path).compute()
                #expect(part.columnNames == ["x", "k", "v"])
                all += try part["x"].doubles
            }
            #expect(all == x.sorted())
        }
    }

    @Test func topRowsDistinctRowsAndCounts() async throws {
        let (table, k, v, x) = try Self.rows()
        let frame = try DataFrame(table, partitions: 7)
        var firstSeen: [String] = [], seen = Set<String>()
        for row in 0..<600 where seen.insert("\(k[row] ?? "∅")|\(v[row])").inserted { firstSeen.append("\(k[row] ?? "∅")|\(v[row])") }
        var counts: [String: Int64] = [:]
        for key in k.compactMap({ $0 }) { counts[key, default: 0] += 1 }
        var pairs: [String: Set<Int64>] = [:]
        for row in 0..<600 { if let key = k[row] { pairs[key, default: []].insert(v[row]) } }
        for scheduler in Self.schedulers {
            let largest = try await frame.nlargest(4, "x").compute(scheduler: scheduler)
            #expect(try largest["x"].doubles == Array(x.sorted(by: >).prefix(4)), "\(scheduler)")
            let smallest = try await frame.nsmallest(3, "v").compute(scheduler: scheduler)
            #expect(try smallest["v"].int64s == Array(v.sorted().prefix(3)), "\(scheduler)")

            let distinct = try await frame.dropDuplicates(["k", "v"], splitEvery: 3).compute(scheduler: scheduler)
            let rows = try zip(distinct["k"].values, distinct["v"].int64s).map { key, value in "\(key.map { if case .string(let s) = $0 { s } else { "?" } } ?? "∅")|\(value)" }
            #expect(rows == firstSeen, "\(scheduler)")

            let valueCounts = try await frame.valueCounts("k").compute(scheduler: scheduler)
            let expected = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            #expect(try valueCounts["k"].strings == expected.map(\.key), "\(scheduler)")
            #expect(try valueCounts["count"].int64s == expected.map(\.value), "\(scheduler)")

            #expect(try await frame.nunique("k", scheduler: scheduler) == counts.count)
            let grouped = try await frame.groupBy("k").agg(.sum("x"), .nunique("v"), .count()).compute(scheduler: scheduler)
            #expect(grouped.columnNames == ["k", "x_sum", "v_nunique", "count"])
            #expect(try grouped["k"].strings == pairs.keys.sorted())
            #expect(try grouped["v_nunique"].int64s == pairs.keys.sorted().map { Int64(pairs[$0]!.count) }, "\(scheduler)")
            #expect(try grouped["count"].int64s == pairs.keys.sorted().map { counts[$0]! })
        }
    }

    @Test func describeGivesPandasStatistics() async throws {
        let (table, _, v, x) = try Self.rows()
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted(), position = q * Double(sorted.count - 1)
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        for scheduler in Self.schedulers {
            let described = try await DataFrame(table, partitions: 3).describe(scheduler: scheduler)
            #expect(described.columnNames == ["statistic", "v", "x"])
            #expect(try described["statistic"].strings == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"])
            let columns: [(String, [Double])] = [("v", v.map { Double($0) }), ("x", x)]
            for (name, values) in columns {
                let count = Double(values.count)
                let mean: Double = values.reduce(0, +) / count
                let squares: Double = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
                let std: Double = (squares / (count - 1)).squareRoot()
                let expected: [Double] = [count, mean, std, values.min()!, quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75), values.max()!]
                let got = try described[name].doubles
                for (a, b) in zip(got, expected) {
                    let tolerance: Double = 1e-9 * Swift.max(1, Swift.abs(b))
                    #expect(Swift.abs(a - b) <= tolerance, "\(name) on \(scheduler): \(got) vs \(expected)")
                }
            }
        }
    }

    @Test func mapPersistAndRepartition() async throws {
        let (table, _, v, _) = try Self.rows()
        let frame = try DataFrame(table, partitions: 4)
        let schema = Schema(table.schema.fields + [Schema.Field("w", .int64)])
        for scheduler in Self.schedulers {
            let mapped = try await frame.mapPartitions(TestTasks.timesTen, schema: schema).compute(scheduler: scheduler)
            #expect(try mapped["w"].int64s == v.map { $0 * 10 }, "\(scheduler)")
        }
        let wrong = await #expect(throws: LoomError.self) { try await frame.mapPartitions(TestTasks.timesTen, schema: table.schema).compute() }
        #expect(wrong?.message.contains("but the plan says") == true)

        for count in [1, 3, 4, 9] {
            let parts = try frame.repartition(partitions: count)
            #expect(parts.partitionCount == count)
            #expect(try await parts.compute(scheduler: .threads(2))["v"].int64s == v, "\(count) partitions")
        }
        let sized = try await frame.repartition(partitionSize: "4KB")
        #expect(sized.partitionCount == Int((Double(table.byteCount) / 4096).rounded(.up)) || sized.partitionCount > 4)
        #expect(try await sized.compute()["v"].int64s == v)

        let kept = try await frame.filter(col("v") > 0).persist()
        #expect(try kept.explain().hasPrefix("Tables: 4 partitions in memory"))
        try await withCluster(workers: 2, threads: 1) { _, client in
            let held = try await frame.filter(col("v") > 0).persist(on: client)
            #expect(try held.explain() == "Persisted: 4 partitions held by the cluster")
            let total = try await held.groupBy().agg(.sum("v")).compute(on: client)
            #expect(try total["v_sum"].int64s == [v.filter { $0 > 0 }.reduce(0, +)])
            #expect(try await held.compute(on: client).rowCount == v.filter { $0 > 0 }.count)
            #expect(try await held.sortValues("v").compute(on: client)["v"].int64s == v.filter { $0 > 0 }.sorted())
        }
    }
}
