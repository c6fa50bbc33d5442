import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// Parquet: the codecs alone, pyarrow and pandas reading what Loom writes and Loom reading
/// what pyarrow writes (every page version, encoding and codec Loom claims), the pushdowns,
/// and errors that say what is not supported.
@Suite struct ParquetTests {
    @Test func snappyRoundTripsAndRejectsCorruptData() throws {
        var generator = SplitMix64(seed: 9)
        let random = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: generator.next(below: 256)) }
        let repetitive = Array((0..<200_000).map { UInt8(truncatingIfNeeded: ($0 / 7) % 13) })
        let text = Array(String(repeating: "id001,id002,the quick brown fox;", count: 5000).utf8)
        for input in [[], [7], random, repetitive, text] {
            let compressed = input.withUnsafeBufferPointer { Snappy.compress($0) }
            let back = try compressed.withUnsafeBufferPointer { try Snappy.decompress($0, context: "test") }
            #expect(back == input)
            if input.count > 1000, input != random { #expect(compressed.count < input.count / 3) }
        }
        let error = #expect(throws: LoomError.self) { try [0x10, 0x09, 0x01].withUnsafeBufferPointer { try Snappy.decompress($0, context: "f.parquet") } }
        #expect(error?.message.hasPrefix("f.parquet: corrupt Snappy data") == true)
    }

    @Test func theRLEHybridRoundTrips() throws {
        var generator = SplitMix64(seed: 3)
        for width in [1, 3, 8, 13, 20] {
            var values: [UInt32] = []
            for _ in 0..<50 {
                let run = Int(generator.next(below: 30))
                let value = UInt32(generator.next(below: 1 << width))
                values += generator.next(below: 2) == 0 ? Array(repeating: value, count: run)
                    : (0..<run).map { _ in UInt32(generator.next(below: 1 << width)) }
            }
            var encoder = RLEHybridEncoder(bitWidth: width)
            values.withUnsafeBufferPointer { encoder.encode($0) }
            var decoded = [UInt32](repeating: 0, count: values.count)
            try encoder.bytes.withUnsafeBufferPointer { bytes in
                var decoder = RLEHybridDecoder(bytes, bitWidth: width, context: "test")
                try decoded.withUnsafeMutableBufferPointer { try decoder.decode(values.count, into: $0.baseAddress!) }
            }
            #expect(decoded == values, "bit width \(width)")
        }
    }

    static func sample() throws -> Table {
        try Table([
            "i32": Column([Int32(1), -2, 3, Int32.max, Int32.min]),
            "i64": Column([Int64(1), nil, -3, 123_456_789_012, 5]),
            "f": Column([Float(0.5), -1.25, 3, 1e30, 0]),
            "d": Column([0.1, 1e-300, nil, -123456789.125, 2] as [Double?]),
            "b": Column([true, false, nil, true, true] as [Bool?]),
            "s": Column(["a", "", nil, "é ü", "a"] as [String?]),
            "c": Column.categorical(["x", "y", "x", nil, "y"]),
            "t": Column.timestamps(nanoseconds: [0, 1_700_000_000_123_456_789, -1, 86_400_000_000_000, 5]),
            "day": Column.dates(days: [0, 19_782, -1, 365, 7]),
        ])
    }

    @Test func pyarrowAndPandasReadWhatLoomWrites() async throws {
        try await CSVTests.withFolder { folder in
            let table = try Self.sample()
            for compression in [ParquetWriteOptions.Compression.snappy, .uncompressed] {
                let out = folder + "/\(compression)"
                let paths = try await DataFrame(table, partitions: 2).toParquet(out, options: ParquetWriteOptions(compression: compression, rowGroupSize: 2))
                #expect(paths.count == 2)
                let seen = try await PythonOracle.run("""
                    import sys, json, pandas as pd, pyarrow.parquet as pq
                    t = pq.read_table(sys.argv[1])
                    df = t.to_pandas()
                    def plain(v):
                        if v is None or (not isinstance(v, str) and pd.isna(v)): return None
                        if isinstance(v, pd.Timestamp): return v.value
                        if hasattr(v, 'toordinal'): return v.toordinal() - 719163
                        return v.item() if hasattr(v, 'item') else v
                    print(json.dumps({"types": {f.name: str(f.type) for f in t.schema}, "groups": pq.ParquetFile(sys.argv[2]).metadata.num_row_groups,
                                      "codec": pq.ParquetFile(sys.argv[2]).metadata.row_group(0).column(0).compression,
                                      "values": {c: [plain(v) for v in df[c]] for c in df.columns}}))
                    """, [out, paths[1]])
                let decoded = try JSONSerialization.jsonObject(with: Data(seen.utf8)) as! [String: Any]
                let types = decoded["types"] as! [String: String]
                #expect(types == ["i32": "int32", "i64": "int64", "f": "float", "d": "double", "b": "bool", "s": "string", "c": "string",
                                  "t": "timestamp[ns]", "day": "date32[day]"])
                #expect(decoded["groups"] as? Int == 2)
                #expect(decoded["codec"] as? String == (compression == .snappy ? "SNAPPY" : "UNCOMPRESSED"))
                let values = decoded["values"] as! [String: [Any]]
                #expect(values["i32"]!.map { ($0 as! NSNumber).int64Value } == [1, -2, 3, Int64(Int32.max), Int64(Int32.min)])
                #expect(values["i64"]!.map { ($0 as? NSNumber)?.int64Value } == [1, nil, -3, 123_456_789_012, 5])
                #expect(values["d"]!.map { ($0 as? NSNumber)?.doubleValue } == [0.1, 1e-300, nil, -123456789.125, 2])
                #expect(values["b"]!.map { ($0 as? NSNumber)?.boolValue } == [true, false, nil, true, true])
                #expect(values["s"]!.map { $0 as? String } == ["a", "", nil, "é ü", "a"])
                #expect(values["c"]!.map { $0 as? String } == ["x", "y", "x", nil, "y"])
                #expect(values["t"]!.map { ($0 as! NSNumber).int64Value } == [0, 1_700_000_000_123_456_789, -1, 86_400_000_000_000, 5])
                #expect(values["day"]!.map { ($0 as! NSNumber).int64Value } == [0, 19_782, -1, 365, 7])
                // And Loom reads its own files back, on every scheduler.
                for scheduler in [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)] {
                    let back = try await DataFrame.readParquet(out).compute(scheduler: scheduler)
                    #expect(back.rowCount == 5)
                    for name in table.columnNames where name != "c" { #expect(try back[name].values == table[name].values, "\(name) on \(scheduler)") }
                    #expect(try back["c"].values == table["c"].values.map { $0 })
                }
            }
        }
    }

    /// pyarrow writes the file in each of the ways Loom reads, from the same pandas frame.
    @Test func loomReadsWhatPyarrowWrites() async throws {
        try await CSVTests.withFolder { folder in
            let variants: [(String, String)] = [
                ("default", "{}"),
                ("uncompressed", "{'compression': 'none'}"),
                ("v2", "{'data_page_version': '2.0'}"),
                ("v2-uncompressed", "{'data_page_version': '2.0', 'compression': 'none'}"),
                ("plain", "{'use_dictionary': False}"),
                ("delta", "{'use_dictionary': False, 'column_encoding': {'n': 'DELTA_BINARY_PACKED', 'small': 'DELTA_BINARY_PACKED'}}"),
                ("groups", "{'row_group_size': 777, 'data_page_size': 2000}"),
                ("microseconds", "{'coerce_timestamps': 'us', 'allow_truncated_timestamps': True}"),
            ]
            let printed = try await PythonOracle.run("""
                import sys, json, numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
                rng = np.random.default_rng(5)
                n = 5000
                df = pd.DataFrame({
                    "n": rng.integers(-10**12, 10**12, n),
                    "small": rng.integers(0, 100, n).astype("int32"),
                    "x": rng.standard_normal(n),
                    "f": rng.standard_normal(n).astype("float32"),
                    "flag": rng.integers(0, 2, n).astype(bool),
                    "id": [f"id{v:03d}" for v in rng.integers(0, 50, n)],
                    "text": [None if v % 11 == 0 else "w" * int(v % 17) + str(v) for v in rng.integers(0, 10**6, n)],
                    "maybe": pd.array([None if v % 7 == 0 else int(v) for v in rng.integers(0, 1000, n)], dtype="Int64"),
                    "when": pd.to_datetime(rng.integers(0, 2 * 10**18, n)),
                })
                df["day"] = pd.array(df["when"].dt.date, dtype=pd.ArrowDtype(pa.date32()))
                df.index = pd.RangeIndex(n) * 2
                for name, options in json.loads(sys.argv[2]).items():
                    pq.write_table(pa.Table.from_pandas(df), f"{sys.argv[1]}/{name}.parquet", **eval(options))
                def plain(v):
                    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)): return None
                    if isinstance(v, pd.Timestamp): return v.value
                    if hasattr(v, 'toordinal'): return v.toordinal() - 719163
                    return v.item() if hasattr(v, 'item') else v
                out = {c: [plain(v) for v in df[c].astype(object)] for c in df.columns}
                # Floats as their bits: a JSON parser need not round as Python prints.
                out["x"] = df["x"].to_numpy().view(np.int64).tolist()
                out["f"] = df["f"].to_numpy().view(np.int32).tolist()
                print(json.dumps(out))
                """, [folder, String(decoding: try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: variants)), as: UTF8.self)])
            let expected = try JSONSerialization.jsonObject(with: Data(printed.utf8)) as! [String: [Any]]
            for (name, _) in variants {
                let table = try await DataFrame.readParquet(folder + "/\(name).parquet").compute()
                #expect(table.schema.description == "n: int64, small: int32, x: float64, f: float32, flag: bool, id: string, text: string, maybe: int64, when: datetime64[ns], day: date32", "\(name)")
                #expect(try table["n"].int64s == expected["n"]!.map { ($0 as! NSNumber).int64Value }, "\(name)")
                #expect(try table["small"].values == expected["small"]!.map { .int(($0 as! NSNumber).int64Value) }, "\(name)")
                #expect(try table["x"].doubles.map(\.bitPattern) == expected["x"]!.map { UInt64(bitPattern: ($0 as! NSNumber).int64Value) }, "\(name)")
                #expect(try table["f"].floats.map(\.bitPattern) == expected["f"]!.map { UInt32(bitPattern: ($0 as! NSNumber).int32Value) }, "\(name)")
                #expect(try table["flag"].bools == expected["flag"]!.map { ($0 as! NSNumber).boolValue }, "\(name)")
                #expect(try table["id"].strings == expected["id"]!.map { $0 as! String }, "\(name)")
                #expect(try table["text"].values == expected["text"]!.map { ($0 as? String).map(Scalar.string) }, "\(name)")
                #expect(try table["maybe"].values == expected["maybe"]!.map { ($0 as? NSNumber).map { .int($0.int64Value) } }, "\(name)")
                let when = expected["when"]!.map { ($0 as! NSNumber).int64Value }
                #expect(try table["when"].timestamps == (name == "microseconds" ? when.map { $0 / 1000 * 1000 } : when), "\(name)")
                #expect(try table["day"].dates == expected["day"]!.map { ($0 as! NSNumber).int32Value }, "\(name)")
            }
            let groups = try DataFrame.readParquet(folder + "/groups.parquet")
            #expect(groups.partitionCount == 7)
        }
    }

    @Test func filtersSkipRowGroupsAndOnlyUsedColumnsAreRead() async throws {
        try await CSVTests.withFolder { folder in
            let rows = 4000
            let table = try Table([
                "k": Column((0..<rows).map { Int64($0) }),
                "g": Column((0..<rows).map { "g\($0 % 5)" }),
                "v": Column((0..<rows).map { Double($0 % 97) }),
                "w": Column((0..<rows).map { Int64($0 * 3) }),
            ])
            try await DataFrame(table, partitions: 2).toParquet(folder, options: ParquetWriteOptions(rowGroupSize: 500))
            let frame = try DataFrame.readParquet(folder)
            #expect(frame.partitionCount == 8)
            let filtered = frame.filter(col("k") >= 3200 || col("k").between(100, 120)).groupBy("g").agg(.sum("v"))
            let plan = try filtered.explain()
            #expect(plan.contains("ReadParquet: 2 files in 3 row groups [k, g, v] (3 of 4 columns); 5 row groups skipped by the statistics of"), "\(plan)")
            let expected = try await DataFrame(table).filter(col("k") >= 3200 || col("k").between(100, 120)).groupBy("g").agg(.sum("v")).compute()
            let result = try await filtered.compute()
            #expect(try result["v_sum"].doubles == expected["v_sum"].doubles)
            #expect(try result["g"].strings == expected["g"].strings)
            // A filter no row group can pass reads nothing it need not; one on a computed column skips none.
            #expect(try await frame.filter(col("k") > 1_000_000).count() == 0)
            #expect(try !frame.assign("k", col("w")).filter(col("k") > 3000).explain().contains("skipped"))
            #expect(try await frame.count() == rows)
            #expect(try await frame.select("w").filter(col("w") < 30).compute()["w"].int64s == (0..<10).map { Int64($0 * 3) })
        }
    }

    @Test func unsupportedFilesSayWhatIsNotSupported() async throws {
        try await CSVTests.withFolder { folder in
            _ = try await PythonOracle.run("""
                import sys, pyarrow as pa, pyarrow.parquet as pq
                t = pa.table({"a": [1, 2, 3], "s": ["x", "y", "z"]})
                pq.write_table(t, sys.argv[1] + "/gzip.parquet", compression="gzip")
                pq.write_table(t, sys.argv[1] + "/delta.parquet", use_dictionary=False, column_encoding={"s": "DELTA_BYTE_ARRAY"})
                pq.write_table(pa.table({"l": [[1], [2, 3], []]}), sys.argv[1] + "/list.parquet")
                """, [folder])
            let gzip = await #expect(throws: LoomError.self) { try await DataFrame.readParquet(folder + "/gzip.parquet").compute() }
            #expect(gzip?.message.contains("\(folder)/gzip.parquet, row group 0, column 'a': the GZIP codec is not supported") == true, "\(String(describing: gzip))")
            let delta = await #expect(throws: LoomError.self) { try await DataFrame.readParquet(folder + "/delta.parquet").compute() }
            #expect(delta?.message.contains("column 's': values in deltaByteArray are not supported") == true, "\(String(describing: delta))")
            let list = #expect(throws: LoomError.self) { try DataFrame.readParquet(folder + "/list.parquet") }
            #expect(list?.message == "\(folder)/list.parquet: column 'l' is nested (a struct, list or map), which Loom does not read")
            try Data("not parquet at all".utf8).write(to: URL(fileURLWithPath: folder + "/bad.parquet"))
            let bad = #expect(throws: LoomError.self) { try DataFrame.readParquet(folder + "/bad.parquet") }
            #expect(bad?.message == "\(folder)/bad.parquet is not a Parquet file (no PAR1 at its ends)")
            let unknown = #expect(throws: LoomError.self) { try DataFrame.readParquet(folder + "/gzip.parquet", columns: ["zz"]) }
            #expect(unknown?.message == "no column 'zz'; the columns are a: int64, s: string")
        }
    }
}
