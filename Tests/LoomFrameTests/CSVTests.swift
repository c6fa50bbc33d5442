import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// CSV files: the parser's cases, byte-range blocks that read every record once, errors that
/// name file and line, and pandas reading what Loom writes and the other way round.
@Suite struct CSVTests {
    /// A folder of its own, removed when the test ends (also when it fails).
    static func withFolder<T>(_ body: (String) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-csv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func quotesEscapesLineEndingsAndNulls() async throws {
        try await Self.withFolder { folder in
            let path = folder + "/a.csv"
            try Self.write("name,n,x\r\n\"a, b\",1,1.5\r\n\"say \"\"hi\"\"\",2,\r\n\"two\nlines\",NA,-2e3\r\n\r\nlast,4\r\n", to: path)
            let table = try await DataFrame.readCSV(path).compute()
            #expect(table.schema.description == "name: string, n: int64, x: float64")
            #expect(try table["name"].strings == ["a, b", "say \"hi\"", "two\nlines", "last"])
            #expect(try table["n"].values == [.int(1), .int(2), nil, .int(4)])
            #expect(try table["x"].values == [.double(1.5), nil, .double(-2000), nil])

            let escaped = folder + "/b.csv"
            try Self.write("a,b\nx\\,y,1\n", to: escaped)
            let read = try await DataFrame.readCSV(escaped, options: CSVOptions(escape: "\\")).compute()
            #expect(try read["a"].strings == ["x,y"])
        }
    }

    @Test func blocksCutAnywhereReadEveryRecordOnce() async throws {
        try await Self.withFolder { folder in
            var text = "id,v,s\n"
            var generator = SplitMix64(seed: 4)
            for row in 0..<300 { text += "\(row),\(generator.next(below: 1000)),\"t\(generator.next(below: 99)), q\"\n" }
            try Self.write(text, to: folder + "/1.csv")
            try Self.write(text, to: folder + "/2.csv")
            let whole = try await DataFrame.readCSV(folder + "/*.csv", blockSize: nil).compute(scheduler: .synchronous)
            #expect(whole.rowCount == 600)
            for size in [1, 2, 7, 13, 64, 1000, 5000] {
                let frame = try DataFrame.readCSV(folder + "/*.csv", blockSize: "\(size)B")
                let blocks = try await frame.compute(scheduler: .threads(2))
                #expect(try blocks["id"].int64s == whole["id"].int64s, "blocks of \(size) bytes")
                #expect(try blocks["s"].strings == whole["s"].strings, "blocks of \(size) bytes")
                #expect(try await frame.count() == 600)
            }
        }
    }

    /// Integer fields as C's `strtoll` would take them whole: signs, spaces around, the whole
    /// Int64 range, and overflow or stray text refused.
    @Test func integerFieldsParseOverTheWholeRange() {
        func parse(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { CSVFieldParsing.int64($0) } }
        let cases: [(String, Int64?)] = [
            ("0", 0), ("-0", 0), ("+5", 5), (" 12 ", 12), ("123456789012345678", 123_456_789_012_345_678),
            ("-922337203685477580", -922_337_203_685_477_580), ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("9223372036854775808", nil), ("-9223372036854775809", nil), ("99999999999999999999", nil),
            ("1x", nil), ("", nil), ("-", nil), ("  ", nil), ("1 2", nil), ("٣", nil),
        ]
        for (text, expected) in cases { #expect(parse(text) == expected, "\"\(text)\"") }
    }

    /// Thousands of records, converted a column at a time in chunks, with quoted records the
    /// general reader takes between them, missing trailing fields, nulls and blank lines: every
    /// value in its row, and a bad value far down named by its line.
    @Test func chunksOfRecordsKeepEveryValueInItsRow() async throws {
        try await Self.withFolder { folder in
            var text = "k,n,x,b\n", line = 1, badLine = 0
            var keys: [String] = [], numbers: [Scalar?] = [], halves: [Scalar?] = [], flags: [Scalar?] = []
            for row in 0..<10_000 {
                let quoted = [4_500, 4_501, 9_999].contains(row)
                let key = quoted ? "k,\(row)" : "k\(row)"
                keys.append(key)
                numbers.append(row % 11 == 0 ? nil : .int(Int64(row)))
                var record = (quoted ? "\"\(key)\"" : key) + "," + (row % 11 == 0 ? "NA" : "\(row)")
                if row % 13 == 0 {
                    halves.append(nil)
                    flags.append(nil)
                } else {
                    halves.append(.double(Double(row) / 4))
                    flags.append(.bool(row % 2 == 0))
                    record += ",\(Double(row) / 4)," + (row % 2 == 0 ? "true" : "False")
                }
                text += record + "\n"
                line += 1
                if row == 9_000 { badLine = line }
                if row % 1_000 == 999 { text += "\n"; line += 1 }
            }
            let path = folder + "/many.csv"
            try Self.write(text, to: path)
            let schema = Schema([.init("k", .string), .init("n", .int64), .init("x", .double), .init("b", .bool)])
            for size in [nil, "50KB"] as [String?] {
                let table = try await DataFrame.readCSV(path, blockSize: size, schema: schema).compute()
                #expect(try table["k"].strings == keys, "blocks of \(size ?? "the file")")
                #expect(try table["n"].values == numbers && table["x"].values == halves && table["b"].values == flags, "blocks of \(size ?? "the file")")
            }
            try Self.write(text.replacingOccurrences(of: "k9000,9000,", with: "k9000,9x00,"), to: path)
            let error = await #expect(throws: LoomError.self) { try await DataFrame.readCSV(path, schema: schema).compute() }
            #expect(error?.message == "\(path), line \(badLine): column n holds \"9x00\", which is not an int64 (give `schema:` to read it as another type)")
        }
    }

    /// Blocks read through windows of a few bytes up to more than the file: records cut off by
    /// a window's end (quoted line ends, escapes, CRLF, a record longer than the window) are
    /// read whole once more bytes are in, and every block reads the same rows.
    @Test func windowsOfAnySizeReadTheSameRecords() async throws {
        try await Self.withFolder { folder in
            // Line ends inside quotes only where no block may cut (as in Dask, a block must
            // not end inside a quoted field).
            for (name, lineEndInQuotes, blockSizes) in [("q", true, [nil]), ("p", false, [nil, 333, 4_000])] as [(String, Bool, [Int?])] {
                var text = "name,n,note\r\n"
                for row in 0..<400 {
                    let note = row % 9 == 0 ? "\"a \"\"quoted\"\"\(lineEndInQuotes ? "\n" : " ")note \(row)\"" : row % 7 == 0 ? "" : "plain \(row)"
                    text += (row % 50 == 0 ? "\"\(String(repeating: "long", count: 40)),\(row)\"" : "r\(row)") + ",\(row),\(note)\r\n"
                    if row % 100 == 0 { text += "\r\n" }
                }
                let path = folder + "/\(name).csv"
                try Self.write(text, to: path)
                let whole = try await DataFrame.readCSV(path, blockSize: nil).compute()
                #expect(whole.rowCount == 400)
                for blockSize in blockSizes {
                    let blocks = try CSVDataset.blocks(path, blockSize: blockSize, schema: nil, options: CSVOptions())
                    for window in [1, 7, 64, 1_000, 1 << 20] {
                        let table = try Table.concatenate(try blocks.map { try $0.read(windowSize: window) })
                        #expect(try table.schema.description == whole.schema.description && table.columns.map { try $0.values } == whole.columns.map { try $0.values },
                                "\(name): blocks of \(blockSize.map(String.init) ?? "the file") through windows of \(window) bytes")
                    }
                }
            }
            let path = folder + "/open.csv"
            try Self.write("a,b\n1,2\n3,\"open\n4,5\n", to: path)
            let blocks = try CSVDataset.blocks(path, blockSize: nil, schema: Schema([.init("a", .int64), .init("b", .string)]), options: CSVOptions())
            let error = #expect(throws: LoomError.self) { try blocks[0].read(windowSize: 4) }
            #expect(error?.message == "\(path), line 3: a quoted field is not closed before the end of the data")
        }
    }

    /// A record of megabytes that a block's end falls inside: the block reads on past the room
    /// it had for the rest of its last record.
    @Test func aBlockEndingInsideAHugeRecordReadsItWhole() async throws {
        try await Self.withFolder { folder in
            let huge = String(repeating: "x", count: 3 << 20)
            try Self.write("id,s\n1,a\n2,\(huge)\n3,b\n", to: folder + "/huge.csv")
            for size in ["1MB", "2MB"] {
                let table = try await DataFrame.readCSV(folder + "/huge.csv", blockSize: size).compute(scheduler: .threads(2))
                #expect(try table["id"].int64s == [1, 2, 3], "blocks of \(size)")
                #expect(try table["s"].strings.map(\.count) == [1, huge.count, 1], "blocks of \(size)")
            }
        }
    }

    @Test func badDataNamesTheFileAndLine() async throws {
        try await Self.withFolder { folder in
            var text = "a,b\n"
            for row in 0..<500 { text += "\(row),\(row * 2)\n" }
            text += "oops,3\n"
            let path = folder + "/bad.csv"
            try Self.write(text, to: path)
            // The bad value is far past the sample the types came from, in a later block.
            var options = CSVOptions()
            options.sampleBytes = 100
            let frame = try DataFrame.readCSV(path, blockSize: "1KB", options: options)
            let error = await #expect(throws: LoomError.self) { try await frame.compute() }
            #expect(error?.message == "\(path), line 502: column a holds \"oops\", which is not an int64 (give `schema:` to read it as another type)")

            try Self.write("a,b\n1,2\n3,4,5\n", to: path)
            let extra = await #expect(throws: LoomError.self) { try await DataFrame.readCSV(path).compute() }
            #expect(extra?.message == "\(path), line 3: 3 fields, but the header names 2 columns")

            try Self.write("a,b\n1,\"open\n", to: path)
            let open = await #expect(throws: LoomError.self) { try await DataFrame.readCSV(path, schema: Schema([.init("a", .int64), .init("b", .string)])).compute() }
            #expect(open?.message == "\(path), line 2: a quoted field is not closed before the end of the data")

            try Self.write("a,c\n1,2\n", to: folder + "/other.csv")
            let headers = #expect(throws: LoomError.self) { try DataFrame.readCSV(folder + "/*.csv") }
            #expect(headers?.message == "\(folder)/other.csv has the columns a, c, but \(path) has a, b")
            #expect(throws: LoomError.self) { try DataFrame.readCSV(folder + "/none-*.csv") }
        }
    }

    @Test func aGivenSchemaReadsDatesTimestampsAndCategories() async throws {
        try await Self.withFolder { folder in
            let path = folder + "/t.csv"
            try Self.write("d,t,c,f\n2024-02-29,2024-02-29 13:45:01.5,x,1\n1969-12-31,1970-01-01T00:00:00,y,2\n", to: path)
            let schema = Schema([.init("d", .date), .init("t", .timestamp), .init("c", .categorical), .init("f", .float)])
            let table = try await DataFrame.readCSV(path, schema: schema).compute()
            #expect(try table["d"].dates == [19_782, -1])
            #expect(try table["t"].timestamps == [19_782 * 86_400_000_000_000 + (13 * 3600 + 45 * 60 + 1) * 1_000_000_000 + 500_000_000, 0])
            #expect(try table["c"].type == .categorical)
            #expect(try table["f"].floats == [1, 2])
            // Written back, they read the same.
            let out = folder + "/out"
            try await DataFrame(table).toCSV(out)
            let again = try await DataFrame.readCSV(out + "/*.csv", schema: schema).compute()
            for name in schema.names { #expect(try again[name].values == table[name].values, "\(name)") }
        }
    }

    @Test func pandasReadsWhatLoomWritesAndLoomReadsWhatPandasWrites() async throws {
        try await Self.withFolder { folder in
            let table = try Table([
                "id": Column(["a,1", "quote \"x\"", "line\nbreak", "é", ""] as [String?]),
                "n": Column([Int64(1), nil, -3, 4, 5]),
                "x": Column([0.1, 1e-5, nil, 123456789.125, -0.0] as [Double?]),
                "b": Column([true, false, true, nil, false] as [Bool?]),
            ])
            let paths = try await DataFrame(table, partitions: 2).toCSV(folder + "/loom")
            #expect(paths.count == 2)
            let seen = try await PythonOracle.run("""
                import sys, pandas as pd, json
                df = pd.concat([pd.read_csv(p) for p in sys.argv[1:]], ignore_index=True)
                print(json.dumps({c: [None if pd.isna(v) else (v.item() if hasattr(v, 'item') else v) for v in df[c]] for c in df.columns}))
                """, paths)
            let decoded = try JSONSerialization.jsonObject(with: Data(seen.utf8)) as! [String: [Any]]
            #expect(decoded["id"]!.map { $0 as? String } == ["a,1", "quote \"x\"", "line\nbreak", "é", nil])
            #expect(decoded["n"]!.map { ($0 as? NSNumber)?.doubleValue } == [1, nil, -3, 4, 5])
            #expect(decoded["x"]!.map { ($0 as? NSNumber)?.doubleValue } == [0.1, 1e-5, nil, 123456789.125, -0.0])

            let fromPandas = folder + "/pandas.csv"
            _ = try await PythonOracle.run("""
                import sys, pandas as pd
                pd.DataFrame({"id": ["a,1", 'q "y"', None, "z"], "n": [1, 2, 3, 4], "x": [0.5, None, 2.25, 1e300],
                              "s": ["True", "False", "True", "False"]}).to_csv(sys.argv[1], index=False)
                """, [fromPandas])
            let read = try await DataFrame.readCSV(fromPandas).compute()
            #expect(read.schema.description == "id: string, n: int64, x: float64, s: bool")
            #expect(try read["id"].values == [.string("a,1"), .string("q \"y\""), nil, .string("z")])
            #expect(try read["x"].values == [.double(0.5), nil, .double(2.25), .double(1e300)])
            #expect(try read["s"].bools == [true, false, true, false])
        }
    }

    @Test func aCSVFrameGroupsOnEveryScheduler() async throws {
        try await Self.withFolder { folder in
            var text = "k,v\n"
            var sums: [String: Int64] = [:]
            for row in 0..<400 {
                let key = "k\(row % 7)"
                text += "\(key),\(row)\n"
                sums[key, default: 0] += Int64(row)
            }
            try Self.write(text, to: folder + "/g.csv")
            let frame = try DataFrame.readCSV(folder + "/g.csv", blockSize: "500B").filter(col("v") >= 0).groupBy("k").agg(.sum("v"))
            #expect(try frame.explain().contains("ReadCSV: 1 files in"))
            for scheduler in [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)] {
                let result = try await frame.compute(scheduler: scheduler)
                #expect(try result["k"].strings == sums.keys.sorted(), "\(scheduler)")
                #expect(try result["v_sum"].int64s == sums.keys.sorted().map { sums[$0]! }, "\(scheduler)")
            }
        }
    }
}
