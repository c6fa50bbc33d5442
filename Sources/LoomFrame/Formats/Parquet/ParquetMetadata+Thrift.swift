import LoomCore

/// Parquet's footer and page headers to and from Thrift's compact protocol, field ids as in
/// parquet.thrift.
extension ParquetFileMetadata {
    init(_ reader: inout ThriftReader) throws {
        var schema: [ParquetSchemaElement] = []
        var rowCount: Int64 = 0
        var rowGroups: [ParquetRowGroup] = []
        var createdBy: String?
        var version: Int32 = 1
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1: version = try reader.int32()
            case 2: schema = try reader.list { try ParquetSchemaElement(&$0) }
            case 3: rowCount = try reader.int()
            case 4: rowGroups = try reader.list { try ParquetRowGroup(&$0) }
            case 6: createdBy = try reader.string()
            default: return false
            }
            return true
        }
        self.init(version: version, schema: schema, rowCount: rowCount, rowGroups: rowGroups, createdBy: createdBy)
    }

    func encoded() -> [UInt8] {
        var writer = ThriftWriter()
        writer.structure { writer in
            writer.field(1, i32: version)
            writer.field(2, list: schema, of: .structure) { writer, element in element.encode(&writer) }
            writer.field(3, i64: rowCount)
            writer.field(4, list: rowGroups, of: .structure) { writer, group in group.encode(&writer) }
            if let createdBy { writer.field(6, string: createdBy) }
        }
        return writer.bytes
    }
}

extension ParquetSchemaElement {
    init(_ reader: inout ThriftReader) throws {
        var element = ParquetSchemaElement(name: "")
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1: element.type = ParquetPhysicalType(rawValue: try reader.int32())
            case 3: element.repetition = Repetition(rawValue: try reader.int32())
            case 4: element.name = try reader.string()
            case 5: element.childCount = try reader.int32()
            case 6: element.convertedType = try reader.int32()
            case 10: element.logicalType = try ParquetLogicalType(&reader)
            default: return false
            }
            return true
        }
        self = element
    }

    func encode(_ writer: inout ThriftWriter) {
        writer.structure { writer in
            if let type { writer.field(1, i32: type.rawValue) }
            if let repetition { writer.field(3, i32: repetition.rawValue) }
            writer.field(4, string: name)
            if let childCount { writer.field(5, i32: childCount) }
            if let convertedType { writer.field(6, i32: convertedType) }
            if let logicalType { writer.field(10) { logicalType.encode(&$0) } }
        }
    }
}

extension ParquetLogicalType {
    init(_ reader: inout ThriftReader) throws {
        var result = ParquetLogicalType.other(0)
        try reader.readStruct { reader, id, _ in
            switch id {
            // Empty structs, skipped after being seen.
            case 1: result = .string; return false
            case 6: result = .date; return false
            case 8:
                var adjusted = false, unit: Int16 = 0
                try reader.readStruct { reader, id, _ in
                    switch id {
                    case 1: adjusted = try reader.bool()
                    case 2:
                        try reader.readStruct { _, id, _ in
                            unit = id
                            return false
                        }
                    default: return false
                    }
                    return true
                }
                result = .timestamp(adjustedToUTC: adjusted, unit: unit)
            case 10:
                var width: Int8 = 64, signed = true
                try reader.readStruct { reader, id, _ in
                    switch id {
                    case 1: width = Int8(truncatingIfNeeded: try reader.byte())
                    case 2: signed = try reader.bool()
                    default: return false
                    }
                    return true
                }
                result = .integer(bitWidth: width, signed: signed)
            default:
                result = .other(id)
                return false
            }
            return true
        }
        self = result
    }

    func encode(_ writer: inout ThriftWriter) {
        switch self {
        case .string: writer.field(1) { _ in }
        case .date: writer.field(6) { _ in }
        case .timestamp(let adjusted, let unit):
            writer.field(8) { writer in
                writer.field(1, bool: adjusted)
                writer.field(2) { writer in writer.field(unit) { _ in } }
            }
        case .integer(let width, let signed):
            writer.field(10) { writer in
                writer.field(1, byte: UInt8(bitPattern: width))
                writer.field(2, bool: signed)
            }
        case .other(let id): writer.field(id) { _ in }
        }
    }
}

extension ParquetRowGroup {
    init(_ reader: inout ThriftReader) throws {
        var columns: [ParquetColumnChunk] = []
        var totalByteSize: Int64 = 0, rowCount: Int64 = 0
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1: columns = try reader.list { try ParquetColumnChunk(&$0) }
            case 2: totalByteSize = try reader.int()
            case 3: rowCount = try reader.int()
            default: return false
            }
            return true
        }
        self.init(columns: columns, totalByteSize: totalByteSize, rowCount: rowCount)
    }

    func encode(_ writer: inout ThriftWriter) {
        writer.structure { writer in
            writer.field(1, list: columns, of: .structure) { writer, column in column.encode(&writer) }
            writer.field(2, i64: totalByteSize)
            writer.field(3, i64: rowCount)
        }
    }
}

extension ParquetColumnChunk {
    /// A `ColumnChunk` and the `ColumnMetaData` inside it (field 3).
    init(_ reader: inout ThriftReader) throws {
        var chunk: ParquetColumnChunk?
        try reader.readStruct { reader, id, _ in
            switch id {
            case 2: _ = try reader.int()
            case 1: throw reader.corrupt("a column chunk in another file (file_path), which Loom does not read")
            case 3: chunk = try ParquetColumnChunk(metadata: &reader)
            default: return false
            }
            return true
        }
        guard let chunk else { throw reader.corrupt("a column chunk without metadata") }
        self = chunk
    }

    private init(metadata reader: inout ThriftReader) throws {
        var type: ParquetPhysicalType?
        var encodings: [Int32] = [], path: [String] = []
        var codec: Int32 = 0
        var valueCount: Int64 = 0, uncompressed: Int64 = 0, compressed: Int64 = 0, dataPage: Int64 = 0
        var dictionaryPage: Int64?
        var statistics: ParquetStatistics?
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1:
                let raw = try reader.int32()
                guard let known = ParquetPhysicalType(rawValue: raw) else { throw reader.corrupt("unknown physical type \(raw)") }
                type = known
            case 2: encodings = try reader.list { try $0.int32() }
            case 3: path = try reader.list { try $0.string() }
            case 4: codec = try reader.int32()
            case 5: valueCount = try reader.int()
            case 6: uncompressed = try reader.int()
            case 7: compressed = try reader.int()
            case 9: dataPage = try reader.int()
            case 11: dictionaryPage = try reader.int()
            case 12: statistics = try ParquetStatistics(&reader)
            default: return false
            }
            return true
        }
        guard let type else { throw reader.corrupt("a column chunk without a type") }
        self.init(type: type, encodings: encodings, path: path, codec: codec, valueCount: valueCount, uncompressedSize: uncompressed,
                  compressedSize: compressed, dataPageOffset: dataPage, dictionaryPageOffset: dictionaryPage, statistics: statistics)
    }

    func encode(_ writer: inout ThriftWriter) {
        writer.structure { writer in
            writer.field(2, i64: start)
            writer.field(3) { writer in
                writer.field(1, i32: type.rawValue)
                writer.field(2, list: encodings, of: .i32) { writer, encoding in writer.int(Int64(encoding)) }
                writer.field(3, list: path, of: .binary) { writer, name in
                    writer.varint(UInt64(name.utf8.count))
                    writer.append(Array(name.utf8))
                }
                writer.field(4, i32: codec)
                writer.field(5, i64: valueCount)
                writer.field(6, i64: uncompressedSize)
                writer.field(7, i64: compressedSize)
                writer.field(9, i64: dataPageOffset)
                if let dictionaryPageOffset { writer.field(11, i64: dictionaryPageOffset) }
                if let statistics { writer.field(12) { statistics.encode(&$0) } }
            }
        }
    }
}

extension ParquetStatistics {
    init(_ reader: inout ThriftReader) throws {
        var statistics = ParquetStatistics()
        var legacyMin: [UInt8]?, legacyMax: [UInt8]?
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1: legacyMax = try reader.binary()
            case 2: legacyMin = try reader.binary()
            case 3: statistics.nullCount = try reader.int()
            case 5: statistics.max = try reader.binary()
            case 6: statistics.min = try reader.binary()
            default: return false
            }
            return true
        }
        statistics.legacyMin = legacyMin
        statistics.legacyMax = legacyMax
        self = statistics
    }

    func encode(_ writer: inout ThriftWriter) {
        if let nullCount { writer.field(3, i64: nullCount) }
        if let max { writer.field(5, binary: max) }
        if let min { writer.field(6, binary: min) }
    }
}

extension ParquetPageHeader {
    init(_ reader: inout ThriftReader) throws {
        var header = ParquetPageHeader(type: -1, uncompressedSize: 0, compressedSize: 0)
        try reader.readStruct { reader, id, _ in
            switch id {
            case 1: header.type = try reader.int32()
            case 2: header.uncompressedSize = try reader.int32()
            case 3: header.compressedSize = try reader.int32()
            case 5, 7:
                // DataPageHeader and DictionaryPageHeader start alike: num_values, encoding
                // (then the data page's level encoding, the dictionary's is_sorted).
                let isData = id == 5
                try reader.readStruct { reader, id, _ in
                    switch id {
                    case 1: header.valueCount = try reader.int32()
                    case 2: header.encoding = try reader.int32()
                    case 3 where isData: header.definitionLevelEncoding = try reader.int32()
                    default: return false
                    }
                    return true
                }
            case 8:
                try reader.readStruct { reader, id, _ in
                    switch id {
                    case 1: header.valueCount = try reader.int32()
                    case 4: header.encoding = try reader.int32()
                    case 5: header.definitionLevelsLength = try reader.int32()
                    case 6: header.repetitionLevelsLength = try reader.int32()
                    case 7: header.isCompressed = try reader.bool()
                    default: return false
                    }
                    return true
                }
            default: return false
            }
            return true
        }
        guard header.type >= 0 else { throw reader.corrupt("a page header without a type") }
        self = header
    }

    /// A v1 data page's or a dictionary page's header.
    func encoded() -> [UInt8] {
        var writer = ThriftWriter()
        writer.structure { writer in
            writer.field(1, i32: type)
            writer.field(2, i32: uncompressedSize)
            writer.field(3, i32: compressedSize)
            if type == ParquetPageType.dictionary.rawValue {
                writer.field(7) { writer in
                    writer.field(1, i32: valueCount)
                    writer.field(2, i32: ParquetEncoding.plain.rawValue)
                }
            } else {
                writer.field(5) { writer in
                    writer.field(1, i32: valueCount)
                    writer.field(2, i32: encoding)
                    writer.field(3, i32: ParquetEncoding.rle.rawValue)
                    writer.field(4, i32: ParquetEncoding.rle.rawValue)
                }
            }
        }
        return writer.bytes
    }
}
