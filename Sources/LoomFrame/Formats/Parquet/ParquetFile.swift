import Foundation
import LoomCore

/// A Parquet file's footer, read and checked: `PAR1`, the row groups' pages, the Thrift
/// `FileMetaData`, its 4-byte length, `PAR1`.
struct ParquetFile {
    let path: String
    let metadata: ParquetFileMetadata
    /// The flat columns (a descriptor each), in the file's order, without pandas' unnamed index.
    let columns: [ParquetColumnDescriptor]
    /// Where each descriptor's chunk is in every row group's column list.
    let chunkIndices: [Int]

    static let magic: [UInt8] = Array("PAR1".utf8)

    init(_ path: String) throws {
        let handle = try FileBytes.open(path)
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        guard size >= 12 else { throw LoomError(.invalidArgument, "\(path) is not a Parquet file (\(size) bytes)") }
        let tail = try FileBytes.read(handle, path: path, offset: size - 8, count: 8)
        let head = try FileBytes.read(handle, path: path, offset: 0, count: 4)
        guard head == Self.magic, Array(tail[4...]) == Self.magic else { throw LoomError(.invalidArgument, "\(path) is not a Parquet file (no PAR1 at its ends)") }
        let length = Int(tail.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        guard length + 12 <= size else { throw LoomError(.invalidArgument, "\(path): its footer length \(length) is past the file's start") }
        var reader = ThriftReader(try FileBytes.read(handle, path: path, offset: size - 8 - length, count: length), context: path)
        let metadata = try ParquetFileMetadata(&reader)
        self.path = path
        self.metadata = metadata
        guard let root = metadata.schema.first else { throw LoomError(.invalidArgument, "\(path): an empty schema") }
        let leaves = metadata.schema.dropFirst()
        guard leaves.count == Int(root.childCount ?? 0), !leaves.contains(where: { ($0.childCount ?? 0) > 0 }) else {
            let nested = leaves.first(where: { ($0.childCount ?? 0) > 0 }).map(\.name) ?? "?"
            throw LoomError(.unsupported, "\(path): column '\(nested)' is nested (a struct, list or map), which Loom does not read")
        }
        var columns: [ParquetColumnDescriptor] = [], indices: [Int] = []
        for (index, element) in leaves.enumerated() where !Self.isPandasUnnamedIndex(element.name) {
            columns.append(try ParquetColumnDescriptor(element, context: path))
            indices.append(index)
        }
        for group in metadata.rowGroups where group.columns.count != leaves.count {
            throw LoomError(.invalidArgument, "\(path): a row group has \(group.columns.count) column chunks for \(leaves.count) columns")
        }
        self.columns = columns
        chunkIndices = indices
    }

    /// pandas writes an index without a name as `__index_level_0__`; a Dask user does not see it
    /// as a column.
    static func isPandasUnnamedIndex(_ name: String) -> Bool { name.hasPrefix("__index_level_") && name.hasSuffix("__") }

    var schema: Schema { Schema(columns.map { Schema.Field($0.name, $0.type) }) }

    /// One piece per row group, reading `selected` columns (nil: all).
    func pieces(selecting selected: [String]?) throws -> [ParquetPiece] {
        let wanted = try selected.map { names in
            try names.map { name in
                guard let index = columns.firstIndex(where: { $0.name == name }) else { throw schema.unknownColumn(name) }
                return index
            }
        } ?? Array(columns.indices)
        return metadata.rowGroups.enumerated().map { number, group in
            ParquetPiece(path: path, rowGroup: number, rowCount: Int(group.rowCount),
                         columns: wanted.map { ParquetPiece.ColumnRead(descriptor: columns[$0], chunk: group.columns[chunkIndices[$0]]) })
        }
    }
}

/// One partition of a Parquet dataset: a row group of one file, and which of its columns to
/// read. Workers read it from what it carries (no footer to parse again).
struct ParquetPiece: Sendable, Codable, Hashable {
    struct ColumnRead: Sendable, Codable, Hashable {
        var descriptor: ParquetColumnDescriptor
        var chunk: ParquetColumnChunk
    }

    var path: String
    var rowGroup: Int
    var rowCount: Int
    var columns: [ColumnRead]

    var schema: Schema { Schema(columns.map { Schema.Field($0.descriptor.name, $0.descriptor.type) }) }

    func read() throws -> Table {
        let handle = try FileBytes.open(path)
        defer { try? handle.close() }
        let context = "\(path), row group \(rowGroup)"
        let decoded = try columns.map { read in
            let bytes = try FileBytes.read(handle, path: path, offset: Int(read.chunk.start), count: Int(read.chunk.compressedSize))
            guard bytes.count == Int(read.chunk.compressedSize) else { throw LoomError(.invalidArgument, "\(context): column '\(read.descriptor.name)' runs past the file's end") }
            return try ParquetColumnDecoder(descriptor: read.descriptor, codec: read.chunk.codec, context: context).decode(bytes, rows: rowCount)
        }
        return try Table(names: columns.map(\.descriptor.name), columns: decoded)
    }

    /// A column's smallest and largest values in this row group, when the file recorded them
    /// (for skipping row groups by a filter).
    func bounds(of name: String) -> (min: Scalar, max: Scalar)? {
        guard let read = columns.first(where: { $0.descriptor.name == name }), let statistics = read.chunk.statistics else { return nil }
        let isText = read.descriptor.physical == .byteArray
        guard let low = statistics.min ?? (isText ? nil : statistics.legacyMin),
              let high = statistics.max ?? (isText ? nil : statistics.legacyMax),
              let min = read.descriptor.scalar(plain: low), let max = read.descriptor.scalar(plain: high) else { return nil }
        return (min, max)
    }

}

extension ParquetColumnDescriptor {
    /// A statistics value (one value, PLAIN-encoded without a length for strings) as a scalar.
    func scalar(plain bytes: [UInt8]) -> Scalar? {
        func load<T>(_: T.Type) -> T? {
            bytes.count == MemoryLayout<T>.size ? bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) } : nil
        }
        switch (physical, type) {
        case (.int32, .date): return load(Int32.self).map { .date($0) }
        case (.int32, .int64): return load(UInt32.self).map { .int(Int64($0)) }
        case (.int32, _): return load(Int32.self).map { .int(Int64($0)) }
        case (.int64, .timestamp): return load(Int64.self).map { .timestamp($0 &* nanosecondsPerUnit) }
        case (.int64, _): return load(Int64.self).map { .int($0) }
        case (.float, _): return load(Float.self).flatMap { $0.isNaN ? nil : .double(Double($0)) }
        case (.double, _): return load(Double.self).flatMap { $0.isNaN ? nil : .double($0) }
        case (.byteArray, _): return .string(String(decoding: bytes, as: UTF8.self))
        case (.boolean, _): return bytes.count == 1 ? .bool(bytes[0] != 0) : nil
        default: return nil
        }
    }
}
