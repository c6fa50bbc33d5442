import Foundation
import LoomCore

/// How `toParquet` writes: pyarrow's defaults (Snappy, row groups of 1 Mi rows, 1 MiB pages,
/// dictionary pages up to 1 MiB).
public struct ParquetWriteOptions: Sendable, Codable, Hashable {
    public enum Compression: String, Sendable, Codable, Hashable {
        case snappy, uncompressed

        var codec: ParquetCodec { self == .snappy ? .snappy : .uncompressed }
    }

    public var compression: Compression
    public var rowGroupSize: Int
    public var dataPageSize: Int
    public var dictionaryPageSize: Int

    public init(compression: Compression = .snappy, rowGroupSize: Int = 1 << 20, dataPageSize: Int = 1 << 20, dictionaryPageSize: Int = 1 << 20) {
        self.compression = compression
        self.rowGroupSize = max(1, rowGroupSize)
        self.dataPageSize = max(1024, dataPageSize)
        self.dictionaryPageSize = dictionaryPageSize
    }
}

/// A table as one Parquet file, written column chunk by column chunk as each is encoded.
enum ParquetWriter {
    static func write(_ table: Table, to path: String, options: ParquetWriteOptions) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw LoomError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? file.close() }
        var written = 0
        func put(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let count = Foundation.write(file.fileDescriptor, raw.baseAddress! + done, raw.count - done)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { throw LoomError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))") }
                    done += count
                }
            }
            written += bytes.count
        }
        try put(ParquetFile.magic)
        let encoder = ParquetColumnEncoder(options: options)
        var groups: [ParquetRowGroup] = []
        for start in stride(from: 0, to: max(table.rowCount, 1), by: options.rowGroupSize) {
            let rows = start..<min(table.rowCount, start + options.rowGroupSize)
            var chunks: [ParquetColumnChunk] = []
            var size: Int64 = 0
            for (name, column) in zip(table.columnNames, table.columns) {
                let (bytes, chunk) = try encoder.encode(column.slice(rows), name: name, offset: written)
                try put(bytes)
                chunks.append(chunk)
                size += chunk.uncompressedSize
            }
            groups.append(ParquetRowGroup(columns: chunks, totalByteSize: size, rowCount: Int64(rows.count)))
        }
        let root = ParquetSchemaElement(name: "schema", childCount: Int32(table.schema.fields.count))
        let metadata = ParquetFileMetadata(
            version: 1, schema: [root] + table.schema.fields.map(ParquetColumnEncoder.element), rowCount: Int64(table.rowCount),
            rowGroups: groups, createdBy: "Loom")
        let footer = metadata.encoded()
        try put(footer + withUnsafeBytes(of: UInt32(footer.count).littleEndian) { Array($0) } + ParquetFile.magic)
    }
}
