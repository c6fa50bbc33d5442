import Foundation
import LoomCore

/// One partition of a CSV dataset: a byte range of one file. A record belongs to the block its
/// first byte is in, so blocks cut anywhere read every record once — as Dask's `read_csv`
/// does, a newline inside a quoted field must not fall on a block's boundary.
struct CSVBlock: Sendable, Codable, Hashable {
    var path: String
    var start: Int
    var end: Int
    /// The file's columns, in the file's order.
    var schema: Schema
    /// The columns to keep (projection), in schema order; nil for all.
    var columns: [String]?
    var options: CSVOptions

    /// The columns this block's table has.
    var outputSchema: Schema {
        guard let columns else { return schema }
        return Schema(schema.fields.filter { columns.contains($0.name) })
    }

    func read() throws -> Table {
        let handle = try FileBytes.open(path)
        defer { try? handle.close() }
        let from = max(0, start - 1)
        // The block, then on to the end of the last record that starts in it (rarely more
        // than a line: room for a megabyte of it, more only by growing).
        var buffer = try BlockBuffer(capacity: end - from + (1 << 20))
        try buffer.fill(from: handle, path: path, offset: from, count: end - from)
        while let last = buffer.bytes.last, last != UInt8(ascii: "\n") {
            guard try buffer.extend(from: handle, path: path, offset: from + buffer.count, upTo: UInt8(ascii: "\n")) else { break }
        }
        return try parse(buffer.bytes)
    }

    private func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws -> Table {
        // Where the block's first record begins, in the buffer (which starts at start - 1).
        var first = 0
        if start > 0 {
            guard let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return Table.empty(outputSchema) }
            first = newline + 1
        }
        var records = CSVRecords(buffer, options: options, from: first)
        var fields: [CSVRecords.Field] = []
        if start == 0, options.header, !records.atEnd { try records.next(into: &fields) }
        let wanted = schema.fields.enumerated().filter { columns?.contains($0.element.name) ?? true }
        var builders = wanted.map { CSVColumnBuilder(type: $0.element.type) }
        var reserved = false
        let nulls = NullTokens(options.nullValues)
        let columnCount = schema.fields.count
        // Field ranges of a record read by the unquoted fast path.
        var starts = [Int](repeating: 0, count: max(1, columnCount)), ends = starts
        let fastPath = options.escape == nil
        // Plain integers, so the loop over a record's fields copies (and retains) no field.
        let wantedIndices = wanted.map(\.offset)
        try builders.withUnsafeMutableBufferPointer { builders in
            try starts.withUnsafeMutableBufferPointer { starts in
                try ends.withUnsafeMutableBufferPointer { ends in
                    /// From the first records, about how many there are: no buffer grows by copying.
                    /// Generously, as room reserved and never used is address space, not memory.
                    func reserve(fieldLength: (Int) -> Int) {
                        reserved = true
                        let estimate = Int(Double(buffer.count) / Double(max(1, records.position - first)) * 64 * 1.25)
                        for index in builders.indices { builders[index].reserve(estimate, bytesPerRow: fieldLength(wanted[index].offset)) }
                    }
                    func badValue(_ field: Schema.Field, _ text: String, line: Int) -> LoomError {
                        failure("column \(field.name) holds \"\(text)\", which is not \(field.type.withArticle) (give `schema:` to read it as another type)",
                                linesBefore: first, lineInBlock: line)
                    }
                    while !records.atEnd {
                        let line = records.newlinesSeen
                        if fastPath, let count = records.nextUnquoted(starts: starts.baseAddress!, ends: ends.baseAddress!, capacity: columnCount) {
                            if count == 1, starts[0] == ends[0], columnCount > 1 { continue }  // a blank line
                            if !reserved, records.newlinesSeen == 64 { reserve { $0 < count ? ends[$0] - starts[$0] : 8 } }
                            for builder in 0..<builders.count {
                                let index = wantedIndices[builder]
                                let bytes = index < count ? UnsafeBufferPointer(rebasing: buffer[starts[index]..<ends[index]]) : UnsafeBufferPointer(start: nil, count: 0)
                                // Missing trailing fields are null, as pandas reads them.
                                guard builders[builder].append(bytes, isNull: index >= count || nulls.contains(bytes)) else {
                                    throw badValue(wanted[builder].element, String(decoding: bytes, as: UTF8.self), line: line)
                                }
                            }
                            continue
                        }
                        do throws(CSVError) {
                            try records.next(into: &fields)
                        } catch {
                            throw failure(error.message, linesBefore: first, lineInBlock: line)
                        }
                        if fields.count == 1, fields[0].range.isEmpty, !fields[0].quoted, columnCount > 1 { continue }  // a blank line
                        if !reserved, records.newlinesSeen == 64 { reserve { fields.indices.contains($0) ? fields[$0].range.count : 8 } }
                        guard fields.count <= columnCount else {
                            throw failure("\(fields.count) fields, but the header names \(columnCount) columns", linesBefore: first, lineInBlock: line)
                        }
                        for (builder, (index, field)) in wanted.enumerated() {
                            guard index < fields.count else { _ = builders[builder].append(UnsafeBufferPointer(start: nil, count: 0), isNull: true); continue }
                            let ok = records.withBytes(fields[index]) { bytes in builders[builder].append(bytes, isNull: nulls.contains(bytes)) }
                            if !ok { throw badValue(field, records.withBytes(fields[index]) { String(decoding: $0, as: UTF8.self) }, line: line) }
                        }
                    }
                }
            }
        }
        return try Table(names: wanted.map(\.element.name), columns: builders.map { $0.finish() })
    }

    /// An error naming the file and the line (counted from the file's start only now).
    private func failure(_ message: String, linesBefore first: Int, lineInBlock: Int) -> LoomError {
        let offset = max(0, start - 1) + first
        var lines = 0
        if offset > 0, let handle = FileHandle(forReadingAtPath: path) {
            if let prefix = try? handle.read(upToCount: offset) { lines = prefix.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }
            try? handle.close()
        }
        return LoomError(.invalidArgument, "\(path), line \(lines + lineInBlock + 1): \(message)")
    }
}

/// The texts read as null, checked without making a string per field: by length, then bytes.
struct NullTokens {
    private let byLength: [[[UInt8]]]
    private let empty: Bool
    /// The bytes a token begins with, a bit each: most fields are rejected on their first byte.
    private let firstBytes: (UInt64, UInt64, UInt64, UInt64)

    init(_ values: Set<String>) {
        let tokens = values.map { Array($0.utf8) }
        var byLength = [[[UInt8]]](repeating: [], count: (tokens.map(\.count).max() ?? 0) + 1)
        for token in tokens where !token.isEmpty { byLength[token.count].append(token) }
        self.byLength = byLength
        empty = values.contains("")
        var bits: [UInt64] = [0, 0, 0, 0]
        for token in tokens { if let byte = token.first { bits[Int(byte >> 6)] |= 1 << UInt64(byte & 63) } }
        firstBytes = (bits[0], bits[1], bits[2], bits[3])
    }

    @inline(__always)
    func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.isEmpty { return empty }
        let first = bytes[0]
        let word = switch first >> 6 { case 0: firstBytes.0; case 1: firstBytes.1; case 2: firstBytes.2; default: firstBytes.3 }
        guard word & (1 << UInt64(first & 63)) != 0, bytes.count < byLength.count else { return false }
        for token in byLength[bytes.count] where token.elementsEqual(bytes) { return true }
        return false
    }
}
