import LoomCore
import Testing
@testable import LoomFrame

/// Tables in memory: construction, typed access, selection, concatenation and the codec.
@Suite struct TableTests {
    static func sample() throws -> Table {
        try Table([
            "id1": Column(["id001", "id016", "id002", "id016", "id003"]),
            "v1": Column([Int64(3), 7, 9, 1, 6]),
            "v3": Column([1.5, 2.5, nil, 4.0, 8.25] as [Double?]),
        ])
    }

    @Test func typedAccessorsGiveTheValuesAndNameATypeClash() throws {
        let table = try Self.sample()
        #expect(try table["v1"].int64s == [3, 7, 9, 1, 6])
        #expect(try table["id1"].strings == ["id001", "id016", "id002", "id016", "id003"])
        #expect(try table["v3"].isNull(2))
        #expect(try table["v3"].nullCount == 1)
        let error = #expect(throws: LoomError.self) { try table["v1"].doubles }
        #expect(error?.message == "the column holds int64, not float64")
    }

    @Test func anUnknownColumnIsNamedWithTheSchema() throws {
        let table = try Self.sample()
        let error = #expect(throws: LoomError.self) { try table["v9"] }
        #expect(error?.message == "no column 'v9'; the columns are id1: string, v1: int64, v3: float64")
    }

    @Test func columnsOfDifferentLengthsOrNamesGivenTwiceAreRefused() {
        let lengths = #expect(throws: LoomError.self) { try Table(["a": Column([1, 2]), "b": Column([1])]) }
        #expect(lengths?.message == "column 'b' has 1 rows, but 'a' has 2")
        let twice = #expect(throws: LoomError.self) { try Table(names: ["a", "a"], columns: [Column([1]), Column([2])]) }
        #expect(twice?.message == "the column name 'a' is given twice")
    }

    @Test func selectDropRenameHeadAndTake() throws {
        let table = try Self.sample()
        #expect(try table.select(["v1", "id1"]).columnNames == ["v1", "id1"])
        #expect(try table.dropping(["v3"]).columnNames == ["id1", "v1"])
        #expect(try table.renamed(["v1": "value"]).columnNames == ["id1", "value", "v3"])
        #expect(try table.head(2)["v1"].int64s == [3, 7])
        #expect(try table.take([4, 0])["id1"].strings == ["id003", "id001"])
        let taken = table.take([2, 1])
        #expect(try taken["v3"].isNull(0) && !taken["v3"].isNull(1))
    }

    @Test func concatenationUnifiesCategoricalDictionaries() throws {
        let first = Column.categorical(["a", "b", nil])
        let second = Column.categorical(["c", "a"])
        let joined = try Column.concatenate([first, second])
        #expect(try joined.strings == ["a", "b", "", "c", "a"])
        #expect(joined.isNull(2) && !joined.isNull(3))
        guard case .categorical(let codes, let categories) = joined.storage else { Issue.record("not categorical"); return }
        #expect(codes == [0, 1, 0, 2, 0])
        #expect(categories.count == 3)
        #expect(throws: LoomError.self) { try Column.concatenate([Column([1]), Column(["x"])]) }
    }

    @Test func everyColumnTypeSurvivesTheCodec() throws {
        let table = try Table([
            "i32": Column([Int32(1), -2]), "i64": Column([Int64?.none, 5]), "f": Column([Float(1.5), 2]),
            "d": Column([Double.pi, -0.0]), "b": Column([true, nil] as [Bool?]), "s": Column(["é", ""]),
            "c": Column.categorical(["x", "x"]), "t": Column.timestamps(nanoseconds: [0, 1_700_000_000_000_000_000]),
            "day": Column.dates(days: [0, 19_000]),
        ])
        let decoded = try ValueCodec.decode(Table.self, from: try ValueCodec.encode(table))
        #expect(decoded.schema == table.schema)
        for name in table.columnNames {
            #expect(try decoded[name].values == table[name].values, "column \(name)")
        }
    }

    @Test func corruptStringOffsetsAreAnErrorNotACrash() throws {
        var bytes = try ValueCodec.encode(Column(["abc", "de"]))
        // The offsets [0, 3, 5] are followed by 5 bytes; make the last offset point past them.
        let offsetsEnd = try #require(bytes.indices.dropFirst(4).first { bytes[$0] == 5 && bytes[$0 - 4] == 3 })
        bytes[offsetsEnd] = 9
        #expect(throws: (any Error).self) { try ValueCodec.decode(Column.self, from: bytes) }
    }

    /// A table as another program might send it: names and columns, unchecked.
    struct UncheckedTable: Encodable {
        var names: [String]
        var columns: [Column]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(names)
            try container.encode(columns)
        }
    }

    @Test func aDecodedTableIsCheckedAsAMadeOneIs() throws {
        let uneven = try ValueCodec.encode(UncheckedTable(names: ["a", "b"], columns: [Column([1, 2]), Column([1])]))
        #expect(throws: (any Error).self) { try ValueCodec.decode(Table.self, from: uneven) }
        let missingName = try ValueCodec.encode(UncheckedTable(names: ["a"], columns: [Column([1]), Column([2])]))
        #expect(throws: (any Error).self) { try ValueCodec.decode(Table.self, from: missingName) }
        let fine = try ValueCodec.encode(UncheckedTable(names: ["a"], columns: [Column([1, nil] as [Int64?])]))
        #expect(try ValueCodec.decode(Table.self, from: fine)["a"].nullCount == 1)
    }

    @Test func aTablePrintsAsPandasDoes() throws {
        let text = try Self.sample().head(2).description
        #expect(text == """
                 id1  v1   v3
            0  id001   3  1.5
            1  id016   7  2.5
            [2 rows x 3 columns]
            """)
    }
}
