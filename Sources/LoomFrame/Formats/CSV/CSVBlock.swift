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

    /// The window a block is read through: the block and a little, up to a few megabytes.
    static let windowSize = 4 << 20

    func read(windowSize: Int = CSVBlock.windowSize) throws -> Table {
        let handle = try FileBytes.open(path)
        defer { try? handle.close() }
        // From the byte before the block: a record starts the block if that byte ends a line.
        let from = max(0, start - 1)
        var window = try CSVWindow.open(handle, path: path, from: from, capacity: min(end - from, windowSize) + min(windowSize, 64 << 10))
        return try parse(&window)
    }

    private func parse(_ window: inout CSVWindow) throws -> Table {
        // Where the block's first record begins: after the first line end (at 0, at once).
        var position = 0
        if start > 0 {
            while true {
                if let newline = window.bytes.firstIndex(of: UInt8(ascii: "\n")) { position = newline + 1; break }
                if window.atEndOfFile { return Table.empty(outputSchema) }
                try window.advance(keepingFrom: window.bytes.count)
            }
        }
        let firstRecord = window.offset + position
        var fields: [CSVRecords.Field] = []
        var header = start == 0 && options.header
        let wanted = schema.fields.enumerated().filter { columns?.contains($0.element.name) ?? true }
        var builders = wanted.map { CSVColumnBuilder(type: $0.element.type) }
        var reserved = false
        let nulls = NullTokens(options.nullValues)
        let columnCount = schema.fields.count
        let fastPath = options.escape == nil
        // Records the fast path reads, converted a column at a time when the chunk is full
        // (and before a record the general reader reads, so rows stay in order, and before
        // the window moves, as the chunk holds ranges of it).
        let chunk = CSVRowChunk(columns: columnCount)
        // Plain integers, so the loop over a record's fields copies (and retains) no field.
        let wantedIndices = wanted.map(\.offset)
        func failure(_ message: String, line: Int) -> LoomError { self.failure(message, firstRecord: firstRecord, lineInBlock: line) }
        func badValue(_ field: Schema.Field, _ text: String, line: Int) -> LoomError {
            failure("column \(field.name) holds \"\(text)\", which is not \(field.type.withArticle) (give `schema:` to read it as another type)", line: line)
        }
        // Lines of the block before the window's first record.
        var linesBefore = 0
        while true {
            let finalPass = window.atEndOfFile, offset = window.offset, buffer = window.bytes
            var records = CSVRecords(window.lines, options: options, from: position)
            var blockDone = false
            // Where a record the window cuts off begins (and its line): read again after more.
            var cutOff: (position: Int, line: Int)?
            try builders.withUnsafeMutableBufferPointer { builders in
                /// From the first records, about how many there are: no buffer grows by copying.
                /// Generously, as room reserved and never used is address space, not memory.
                func reserve(fieldLength: (Int) -> Int) {
                    reserved = true
                    let estimate = Int(Double(end - firstRecord) / Double(max(1, offset + records.position - firstRecord)) * 64 * 1.25)
                    for index in builders.indices { builders[index].reserve(estimate, bytesPerRow: fieldLength(wanted[index].offset)) }
                }
                func convertChunk() throws {
                    defer { chunk.clear() }
                    for builder in 0..<builders.count {
                        guard let row = builders[builder].append(column: wantedIndices[builder], of: chunk, in: buffer, nulls: nulls) else { continue }
                        let field = row * chunk.columns + wantedIndices[builder]
                        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[chunk.starts[field]..<chunk.ends[field]]), as: UTF8.self)
                        throw badValue(wanted[builder].element, text, line: chunk.line(row))
                    }
                }
                while !records.atEnd {
                    // A record that starts past the block is the next block's.
                    if offset + records.position >= end { blockDone = true; break }
                    let line = linesBefore + records.newlinesSeen, recordStart = records.position
                    if fastPath, !header, let count = records.nextUnquoted(starts: chunk.nextStarts, ends: chunk.nextEnds, capacity: columnCount) {
                        if count == 1, chunk.nextStarts[0] == chunk.nextEnds[0], columnCount > 1 { continue }  // a blank line
                        if !reserved, line + 1 == 64 {
                            let (starts, ends) = (chunk.nextStarts, chunk.nextEnds)
                            reserve { $0 < count ? ends[$0] - starts[$0] : 8 }
                        }
                        chunk.commit(fields: count, line: line)
                        if chunk.isFull { try convertChunk() }
                        continue
                    }
                    try convertChunk()
                    do throws(CSVError) {
                        try records.next(into: &fields)
                    } catch {
                        if case .unterminatedQuote = error, !finalPass { cutOff = (recordStart, line); break }
                        throw failure(error.message, line: line)
                    }
                    if header { header = false; continue }
                    if fields.count == 1, fields[0].range.isEmpty, !fields[0].quoted, columnCount > 1 { continue }  // a blank line
                    if !reserved, line + 1 >= 64 { reserve { fields.indices.contains($0) ? fields[$0].range.count : 8 } }
                    guard fields.count <= columnCount else {
                        throw failure("\(fields.count) fields, but the header names \(columnCount) columns", line: line)
                    }
                    for (builder, (index, field)) in wanted.enumerated() {
                        guard index < fields.count else { _ = builders[builder].append(UnsafeBufferPointer(start: nil, count: 0), isNull: true); continue }
                        let ok = records.withBytes(fields[index]) { bytes in builders[builder].append(bytes, isNull: nulls.contains(bytes)) }
                        if !ok { throw badValue(field, records.withBytes(fields[index]) { String(decoding: $0, as: UTF8.self) }, line: line) }
                    }
                }
                try convertChunk()
            }
            if let cutOff {
                (position, linesBefore) = cutOff
            } else {
                (position, linesBefore) = (records.position, linesBefore + records.newlinesSeen)
            }
            if blockDone || finalPass { break }
            try window.advance(keepingFrom: position)
            position = 0
        }
        return try Table(names: wanted.map(\.element.name), columns: builders.map { $0.finish() })
    }

    /// An error naming the file and the line (counted from the file's start only now).
    private func failure(_ message: String, firstRecord offset: Int, lineInBlock: Int) -> LoomError {
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
