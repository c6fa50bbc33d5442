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

/// A table as one Parquet file.
enum ParquetWriter {
    static func encode(_ table: Table, options: ParquetWriteOptions) throws -> [UInt8] {
        var file = ParquetFile.magic
        let encoder = ParquetColumnEncoder(options: options)
        var groups: [ParquetRowGroup] = []
        for start in stride(from: 0, to: max(table.rowCount, 1), by: options.rowGroupSize) {
            let rows = Array(start..<min(table.rowCount, start + options.rowGroupSize))
            let whole = rows.count == table.rowCount
            var chunks: [ParquetColumnChunk] = []
            var size: Int64 = 0
            for (name, column) in zip(table.columnNames, table.columns) {
                let (bytes, chunk) = try encoder.encode(whole ? column : column.take(rows), name: name, offset: file.count)
                file += bytes
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
        file += footer
        withUnsafeBytes(of: UInt32(footer.count).littleEndian) { file += $0 }
        file += ParquetFile.magic
        return file
    }

    static func write(_ table: Table, to path: String, options: ParquetWriteOptions) throws {
        let bytes = try encode(table, options: options)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw LoomError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
