import LoomCore
import Testing
@testable import LoomFrame

/// Column expressions against the same computation written as plain Swift loops.
@Suite struct ExpressionTests {
    /// An h2o-shaped table of `rows` rows from `seed`.
    static func h2o(rows: Int, seed: UInt64) throws -> (table: Table, id1: [String], v1: [Int64], v2: [Int32], v3: [Double]) {
        var generator = SplitMix64(seed: seed)
        let id1 = (0..<rows).map { _ in "id" + String(format3(Int(generator.next() % 20) + 1)) }
        let v1 = (0..<rows).map { _ in Int64(generator.next() % 5) + 1 }
        let v2 = (0..<rows).map { _ in Int32(generator.next() % 15) + 1 }
        let v3 = (0..<rows).map { _ in Double(generator.next() % 10_000) / 100 }
        let table = try Table(["id1": Column.categorical(id1), "id1s": Column(id1), "v1": Column(v1), "v2": Column(v2), "v3": Column(v3)])
        return (table, id1, v1, v2, v3)
    }

    static func format3(_ n: Int) -> String { String(repeating: "0", count: 3 - String(n).count) + String(n) }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theIssuesFilterAndAssignMatchLoops(seed: UInt64) throws {
        let (table, id1, v1, v2, _) = try Self.h2o(rows: 500, seed: seed)
        for idColumn in ["id1", "id1s"] {  // categorical and plain strings
            let filtered = try table.filter(col("v1") > 5 && col(idColumn) != "id016")
            let expected = (0..<500).filter { v1[$0] > 5 && id1[$0] != "id016" }
            #expect(try filtered["v1"].int64s == expected.map { v1[$0] })
            let kept = try table.filter(col("v1") >= 3 && col(idColumn) != "id016")
            #expect(try kept["id1s"].strings == (0..<500).filter { v1[$0] >= 3 && id1[$0] != "id016" }.map { id1[$0] })
        }
        let assigned = try table.assign("v4", col("v1") * 2 + col("v2"))
        #expect(try assigned["v4"].int64s == (0..<500).map { v1[$0] * 2 + Int64(v2[$0]) })
        #expect(assigned.columnNames.last == "v4")
    }

    @Test func literalsBendToTheColumnAndIntegersDivideToFloats() throws {
        let table = try Table(["a": Column([Int32(7), -7]), "f": Column([Float(1), 2]), "b": Column([Int64(2), 0])])
        #expect(try (col("a") + 1).evaluate(on: table).int32s == [8, -6])
        #expect(try (col("a") + 1.5).evaluate(on: table).doubles == [8.5, -5.5])
        #expect(try (col("f") * 2.5).evaluate(on: table).floats == [2.5, 5])
        #expect(try (col("a") + col("b")).evaluate(on: table).int64s == [9, -7])
        #expect(try (col("a") / 2).evaluate(on: table).doubles == [3.5, -3.5])
        // Python's remainder takes the divisor's sign; by zero it is null.
        let remainder = try (col("a") % col("b")).evaluate(on: table)
        #expect(try remainder.int64s[0] == 1)
        #expect(remainder.isNull(1))
        #expect(try (col("a") % 3).evaluate(on: table).int32s == [1, 2])
        #expect(try (-col("a")).evaluate(on: table).int32s == [-7, 7])
        #expect(try (col("a") > 0).type(in: table.schema) == .bool)
    }

    @Test func nullsPropagateAndLogicIsKleene() throws {
        let table = try Table([
            "x": Column([true, false, nil, true, nil] as [Bool?]),
            "y": Column([nil, nil, false, true, nil] as [Bool?]),
            "n": Column([1.0, nil, 3.0, nil, 5.0] as [Double?]),
        ])
        let and = try (col("x") && col("y")).evaluate(on: table)
        #expect(and.values == [nil, .bool(false), .bool(false), .bool(true), nil])
        let or = try (col("x") || col("y")).evaluate(on: table)
        #expect(or.values == [.bool(true), nil, nil, .bool(true), nil])
        #expect(try (!col("x")).evaluate(on: table).values == [.bool(false), .bool(true), nil, .bool(false), nil])
        #expect(try (col("n") + 1).evaluate(on: table).values == [.double(2), nil, .double(4), nil, .double(6)])
        #expect(try col("n").isNull().evaluate(on: table).bools == [false, true, false, true, false])
        // A comparison with a null row is null, and a filter drops it.
        #expect(try table.filter(col("n") > 2).rowCount == 2)
        #expect(try table.filter(col("n").notNull()).rowCount == 3)
    }

    @Test func membershipRangesAndStringTests() throws {
        let (table, id1, v1, _, v3) = try Self.h2o(rows: 300, seed: 9)
        for idColumn in ["id1", "id1s"] {
            #expect(try table.filter(col(idColumn).isIn(["id001", "id003"]))["id1s"].strings == id1.filter { ["id001", "id003"].contains($0) })
            #expect(try table.filter(col(idColumn).str.startsWith("id01")).rowCount == id1.filter { $0.hasPrefix("id01") }.count)
            #expect(try table.filter(col(idColumn).str.endsWith("5")).rowCount == id1.filter { $0.hasSuffix("5") }.count)
            #expect(try table.filter(col(idColumn).str.contains("d00")).rowCount == id1.filter { $0.contains("d00") }.count)
            #expect(try table.filter(col(idColumn) < "id005").rowCount == id1.filter { $0 < "id005" }.count)
        }
        #expect(try table.filter(col("v1").isIn([2, 4]))["v1"].int64s == v1.filter { $0 == 2 || $0 == 4 })
        #expect(try table.filter(col("v3").between(10.0, 20.0))["v3"].doubles == v3.filter { (10...20).contains($0) })
        #expect(try table.filter(5 < col("v1")).rowCount == 0)
        #expect(try table.filter(3 <= col("v1")).rowCount == v1.filter { $0 >= 3 }.count)
        // A categorical column against a plain string column, row by row.
        #expect(try table.filter(col("id1") == col("id1s")).rowCount == 300)
    }

    @Test func castsConvertAsAstypeDoes() throws {
        let table = try Table(["d": Column([1.9, -1.9, .nan]), "s": Column(["12", " 7 ", "x"]), "i": Column([Int64(1), 0, 3])])
        let ints = try col("d").cast(.int64).evaluate(on: table)
        #expect(ints.values == [.int(1), .int(-1), nil])
        #expect(try col("i").cast(.string).evaluate(on: table).strings == ["1", "0", "3"])
        #expect(try col("i").cast(.bool).evaluate(on: table).bools == [true, false, true])
        let parsed = try table.head(2).assign("n", col("s").cast(.int32))
        #expect(try parsed["n"].int32s == [12, 7])
        let bad = #expect(throws: LoomError.self) { try col("s").cast(.int64).evaluate(on: table) }
        #expect(bad?.message == "row 2 holds \"x\", which is not an int64")
        #expect(try col("s").cast(.categorical).evaluate(on: table).type == .categorical)
    }

    @Test func typeClashesNameBothTypesBeforeAnyWork() throws {
        let (table, _, _, _, _) = try Self.h2o(rows: 10, seed: 1)
        let arithmetic = #expect(throws: LoomError.self) { try (col("v1") + col("id1s")).evaluate(on: table) }
        #expect(arithmetic?.message == "arithmetic needs numbers, but an int64 column + a string column has a string (in (col(\"v1\") + col(\"id1s\")))")
        let comparison = #expect(throws: LoomError.self) { try table.filter(col("id1") > 5) }
        #expect(comparison?.message == "cannot compare a category column with an int64 literal (in (col(\"id1\") > 5))")
        let logic = #expect(throws: LoomError.self) { try table.filter(col("v1") && col("v1") > 2) }
        #expect(logic?.message.hasPrefix("col(\"v1\") is int64, not bool") == true)
        let unknown = #expect(throws: LoomError.self) { try table.filter(col("v9") > 2) }
        #expect(unknown?.message.hasPrefix("no column 'v9'; the columns are id1: category") == true)
    }

    @Test func anExpressionIsDataAPlannerCanRead() {
        let expression = col("v1") > 5 && col("id1") != "id016" || col("v3").between(1.0, 2.0)
        #expect(expression.columnsUsed == ["v1", "id1", "v3"])
        #expect(expression.description == "(((col(\"v1\") > 5) && (col(\"id1\") != \"id016\")) || col(\"v3\").between(1.0, 2.0))")
    }
}
