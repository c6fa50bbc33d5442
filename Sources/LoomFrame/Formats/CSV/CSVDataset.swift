import Foundation
import LoomCore

/// The files of a `readCSV`, cut into blocks, with their schema: read from every file's header,
/// typed from a sample of the first file unless given.
struct CSVDataset {
    static func blocks(_ pattern: String, blockSize: Int?, schema given: Schema?, options: CSVOptions) throws -> [CSVBlock] {
        let files = try FileMatch.paths(pattern, extension: "csv")
        let names = try header(of: files[0], options: options)
        for file in files.dropFirst() {
            let other = try header(of: file, options: options)
            guard other == names else {
                throw LoomError(.invalidArgument, "\(file) has the columns \(other.joined(separator: ", ")), but \(files[0]) has \(names.joined(separator: ", "))")
            }
        }
        let schema: Schema
        if let given {
            guard given.names == names else {
                throw LoomError(.invalidArgument, "the schema names the columns \(given.names.joined(separator: ", ")), but \(files[0]) has \(names.joined(separator: ", "))")
            }
            schema = given
        } else {
            schema = try infer(files[0], names: names, options: options)
        }
        var blocks: [CSVBlock] = []
        for file in files {
            let size = try (FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
            let step = max(1, blockSize ?? max(size, 1))
            for start in stride(from: 0, to: max(size, 1), by: step) {
                blocks.append(CSVBlock(path: file, start: start, end: min(size, start + step), schema: schema, columns: nil, options: options))
            }
        }
        return blocks
    }

    /// The names in the file's first line (or `column_0`, … without a header).
    static func header(of path: String, options: CSVOptions) throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw LoomError(.invalidArgument, "cannot open \(path) to read") }
        defer { try? handle.close() }
        var bytes: [UInt8] = []
        while let more = try handle.read(upToCount: 64 * 1024), !more.isEmpty {
            if let newline = more.firstIndex(of: UInt8(ascii: "\n")) {
                bytes += more[more.startIndex...newline]
                break
            }
            bytes += more
        }
        guard !bytes.isEmpty else { throw LoomError(.invalidArgument, "\(path) is empty: it has no header") }
        var fields: [CSVRecords.Field] = []
        let names = try bytes.withUnsafeBufferPointer { buffer -> [String] in
            var records = CSVRecords(buffer, options: options)
            do throws(CSVError) { try records.next(into: &fields) } catch { throw LoomError(.invalidArgument, "\(path), line 1: \(error.message)") }
            return fields.map { field in records.withBytes(field) { String(decoding: $0, as: UTF8.self) } }
        }
        guard options.header else { return names.indices.map { "column_\($0)" } }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw LoomError(.invalidArgument, "\(path) names the column '\(name)' twice in its header")
        }
        return names
    }

    /// Each column's type from the first `sampleBytes` of `path`: int64 if every value is an
    /// integer, else float64 if every value is a number, else bool, else string (float64 for a
    /// column of nulls only, as pandas).
    static func infer(_ path: String, names: [String], options: CSVOptions) throws -> Schema {
        var sample = CSVBlock(path: path, start: 0, end: options.sampleBytes,
                              schema: Schema(names.map { Schema.Field($0, .string) }), columns: nil, options: options)
        let size = try (FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        sample.end = min(size, options.sampleBytes)
        let table = try sample.read()
        let nulls = NullTokens(options.nullValues)
        let fields = try table.columns.enumerated().map { index, column -> Schema.Field in
            guard case .string(let strings) = column.storage else { return Schema.Field(names[index], column.type) }
            var candidates: [DataType] = [.int64, .double, .bool]
            var sawValue = false
            strings.bytes.withUnsafeBufferPointer { all in
                for row in 0..<strings.count where !column.isNull(row) {
                    let bytes = UnsafeBufferPointer(rebasing: all[strings.range(row)])
                    if nulls.contains(bytes) { continue }
                    sawValue = true
                    candidates.removeAll { type in
                        switch type {
                        case .int64: CSVFieldParsing.int64(bytes) == nil
                        case .double: CSVFieldParsing.double(bytes) == nil
                        default: CSVFieldParsing.bool(bytes) == nil
                        }
                    }
                    if candidates.isEmpty { break }
                }
            }
            return Schema.Field(names[index], sawValue ? candidates.first ?? .string : .double)
        }
        return Schema(fields)
    }
}
