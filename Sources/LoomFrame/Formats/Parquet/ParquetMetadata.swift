/// The parts of Parquet's footer Loom reads and writes (parquet-format's `parquet.thrift`):
/// the flat schema, row groups, column chunks with their statistics, and key-value metadata.
/// Fields Loom does not use are skipped on reading and not written.
struct ParquetFileMetadata: Sendable {
    var version: Int32 = 1
    var schema: [ParquetSchemaElement]
    var rowCount: Int64
    var rowGroups: [ParquetRowGroup]
    var createdBy: String?
}

/// Physical types (`Type` in parquet.thrift).
enum ParquetPhysicalType: Int32, Sendable, Codable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

enum ParquetEncoding: Int32, Sendable, Codable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    static func named(_ raw: Int32) -> String {
        ParquetEncoding(rawValue: raw).map { "\($0)" } ?? "encoding \(raw)"
    }
}

enum ParquetCodec: Int32, Sendable, Codable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7
}

struct ParquetSchemaElement: Sendable {
    enum Repetition: Int32, Sendable { case required = 0, optional = 1, repeated = 2 }

    var name: String
    var type: ParquetPhysicalType?
    var repetition: Repetition?
    var childCount: Int32?
    /// `ConvertedType`: UTF8 0, DATE 6, TIMESTAMP_MILLIS 9, TIMESTAMP_MICROS 10, INT_8..INT_64 15..18, …
    var convertedType: Int32?
    var logicalType: ParquetLogicalType?
}

/// The `LogicalType` union, the cases Loom maps to its types.
enum ParquetLogicalType: Sendable, Equatable {
    case string
    case date
    /// `unit`: 1 milliseconds, 2 microseconds, 3 nanoseconds.
    case timestamp(adjustedToUTC: Bool, unit: Int16)
    case integer(bitWidth: Int8, signed: Bool)
    /// Any other (decimal, time, uuid, …), by its union field id.
    case other(Int16)
}

struct ParquetRowGroup: Sendable {
    var columns: [ParquetColumnChunk]
    var totalByteSize: Int64
    var rowCount: Int64
}

/// Where one column's values of one row group lie, and how they are stored.
struct ParquetColumnChunk: Sendable, Codable, Hashable {
    var type: ParquetPhysicalType
    var encodings: [Int32]
    var path: [String]
    var codec: Int32
    var valueCount: Int64
    var uncompressedSize: Int64
    var compressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: ParquetStatistics?

    /// The first byte of the chunk: its dictionary page if it has one.
    var start: Int64 {
        if let dictionaryPageOffset, dictionaryPageOffset > 0, dictionaryPageOffset < dataPageOffset { return dictionaryPageOffset }
        return dataPageOffset
    }
}

/// Min and max as plain-encoded bytes, and how many nulls.
struct ParquetStatistics: Sendable, Codable, Hashable {
    var min: [UInt8]?
    var max: [UInt8]?
    var nullCount: Int64?
    /// The deprecated `min`/`max` fields: in signed byte order, so right for numbers only
    /// (parquet-mr ignores them for strings too).
    var legacyMin: [UInt8]?
    var legacyMax: [UInt8]?
}

enum ParquetPageType: Int32 { case data = 0, index = 1, dictionary = 2, dataV2 = 3 }

struct ParquetPageHeader {
    var type: Int32
    var uncompressedSize: Int32
    var compressedSize: Int32
    var valueCount: Int32 = 0
    var encoding: Int32 = 0
    /// Data pages v1: how the levels are encoded (RLE for every writer in use).
    var definitionLevelEncoding: Int32 = ParquetEncoding.rle.rawValue
    /// Data pages v2: the levels' lengths (stored uncompressed, before the values).
    var definitionLevelsLength: Int32 = 0
    var repetitionLevelsLength: Int32 = 0
    var isCompressed = true
}
