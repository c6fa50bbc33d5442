import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// Merges against a nested loop over both sides' rows, for every kind, broadcast and shuffled,
/// on every scheduler.
@Suite struct MergeTests {
    struct Sides {
        var left: Table, right: Table
        var leftRows: [(id: String?, k: Int64, v: Int64)], rightRows: [(id: String?, k: Int64, w: Double)]

        init(seed: UInt64, left count: Int = 300, right rightCount: Int = 40) throws {
            var generator = SplitMix64(seed: seed)
            leftRows = (0..<count).map { _ in
                (generator.next(below: 20) == 0 ? nil : "id\(generator.next(below: 30))", Int64(generator.next(below: 3)), Int64(generator.next(below: 1000)))
            }
            rightRows = (0..<rightCount).map { _ in
                (generator.next(below: 20) == 0 ? nil : "id\(generator.next(below: 40))", Int64(generator.next(below: 3)), Double(generator.next(below: 100)) / 4)
            }
            left = try Table(["id": Column(leftRows.map(\.id)), "k": Column(leftRows.map(\.k)), "v": Column(leftRows.map(\.v))])
            // The right side's key is a categorical and its k an int32: merged as strings and int64.
            right = try Table(["id": Column.categorical(rightRows.map(\.id)), "k": Column(rightRows.map { Int32($0.k) }), "w": Column(rightRows.map(\.w))])
        }

        /// The merge as a nested loop, each row as text, sorted (a shuffle's order is its own).
        func expected(on keys: [String], how: MergeHow) -> [String] {
            func match(_ l: Int, _ r: Int) -> Bool {
                keys.allSatisfy { $0 == "id" ? leftRows[l].id == rightRows[r].id : leftRows[l].k == rightRows[r].k }
            }
            func text(_ l: Int?, _ r: Int?) -> String {
                let id = l.map { leftRows[$0].id } ?? r.map { rightRows[$0].id } ?? nil
                let k = l.map { leftRows[$0].k } ?? r.map { rightRows[$0].k }
                var fields = keys.map { $0 == "id" ? (id ?? "null") : "\(k!)" }
                if !keys.contains("k") { fields += [l.map { "\(leftRows[$0].k)" } ?? "null"] }
                fields.append(l.map { "\(leftRows[$0].v)" } ?? "null")
                if !keys.contains("k") { fields += [r.map { "\(rightRows[$0].k)" } ?? "null"] }
                fields.append(r.map { "\(rightRows[$0].w)" } ?? "null")
                return fields.joined(separator: "|")
            }
            var rows: [String] = []
            var matchedRight = Set<Int>()
            for l in leftRows.indices {
                let matches = rightRows.indices.filter { match(l, $0) }
                for r in matches { rows.append(text(l, r)); matchedRight.insert(r) }
                if matches.isEmpty, how == .left || how == .outer { rows.append(text(l, nil)) }
            }
            if how == .right || how == .outer { for r in rightRows.indices where !matchedRight.contains(r) { rows.append(text(nil, r)) } }
            return rows.sorted()
        }
    }

    static func rows(_ table: Table) -> [String] {
        (0..<table.rowCount).map { row in
            table.columns.map { column in
                switch column[row] {
                case nil: "null"
                case .string(let s)?: s
                case .int(let i)?: "\(i)"
                case .double(let d)?: "\(d)"
                case let other?: "\(other)"
                }
            }.joined(separator: "|")
        }.sorted()
    }

    @Test(arguments: [MergeHow.inner, .left, .right, .outer])
    func aMergeOfTablesMatchesANestedLoop(how: MergeHow) throws {
        let sides = try Sides(seed: 3)
        // The data has matches, left rows without any and right rows without any.
        #expect(sides.expected(on: ["id"], how: .inner).count > 100)
        #expect(sides.expected(on: ["id"], how: .left).count > sides.expected(on: ["id"], how: .inner).count)
        #expect(sides.expected(on: ["id"], how: .right).count > sides.expected(on: ["id"], how: .inner).count)
        let merged = try sides.left.merge(sides.right, MergeSpec(on: ["id"], how: how))
        #expect(merged.columnNames == ["id", "k_x", "v", "k_y", "w"])
        #expect(Self.rows(merged) == sides.expected(on: ["id"], how: how))
        let twoKeys = try sides.left.merge(sides.right, MergeSpec(on: ["id", "k"], how: how))
        #expect(twoKeys.columnNames == ["id", "k", "v", "w"])
        #expect(Self.rows(twoKeys) == sides.expected(on: ["id", "k"], how: how))
    }

    @Test(arguments: [MergeHow.inner, .left, .right, .outer])
    func broadcastAndShuffledMergesAgreeOnEveryScheduler(how: MergeHow) async throws {
        let sides = try Sides(seed: 8)
        let left = try DataFrame(sides.left, partitions: 6)
        for (rightPartitions, strategy) in [(1, "broadcast"), (3, "shuffle")] {
            let right = try DataFrame(sides.right, partitions: rightPartitions)
            let frame = left.merge(right, on: ["id", "k"], how: how)
            let explained = try frame.explain()
            #expect(explained.contains(strategy) || (how == .right || how == .outer) && explained.contains("shuffle"), "\(explained)")
            for scheduler in [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)] {
                let merged = try await frame.compute(scheduler: scheduler)
                #expect(Self.rows(merged) == sides.expected(on: ["id", "k"], how: how), "\(how), \(rightPartitions) right partitions, \(scheduler)")
            }
        }
    }

    @Test func aClusterMergesTheSame() async throws {
        let sides = try Sides(seed: 13)
        try await withCluster(workers: 2, threads: 1) { _, client in
            let frame = try DataFrame(sides.left, partitions: 4).merge(try DataFrame(sides.right, partitions: 4), on: "id", how: .outer)
                .filter(col("v") > 100 || col("v").isNull())
            let merged = try await frame.compute(on: client)
            let expected = sides.expected(on: ["id"], how: .outer).filter { row in
                let v = row.split(separator: "|")[2]
                return v == "null" || Int(v)! > 100
            }
            #expect(Self.rows(merged) == expected)
        }
    }

    @Test func keysOfDifferentTypesAreRefusedNamingBoth() throws {
        let left = try DataFrame(try Table(["a": Column([Int64(1)]), "b": Column([1.0])]))
        let right = try DataFrame(try Table(["a": Column(["1"]), "c": Column([2.0])]))
        let error = #expect(throws: LoomError.self) { try left.merge(right, on: "a").schema }
        #expect(error?.message == "cannot merge on 'a': it is int64 on the left and string on the right; cast one side first")
        let missing = #expect(throws: LoomError.self) { try left.merge(right, on: "b").schema }
        #expect(missing?.message.hasPrefix("no column 'b'; the columns are a: string, c: float64") == true)
    }
}
