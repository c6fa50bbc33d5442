import LoomCore

/// A column of one row group as Parquet pages: every column optional (as pyarrow writes pandas
/// columns), definition levels RLE-coded, text dictionary-coded while its dictionary stays small,
/// numbers PLAIN, each page compressed alone.
struct ParquetColumnEncoder {
    let options: ParquetWriteOptions

    /// The physical and logical type of each Loom type, as pyarrow writes them.
    static func element(_ field: Schema.Field) -> ParquetSchemaElement {
        var element = ParquetSchemaElement(name: field.name, repetition: .optional)
        switch field.type {
        case .bool: element.type = .boolean
        case .int32: element.type = .int32
        case .int64: element.type = .int64
        case .float: element.type = .float
        case .double: element.type = .double
        case .string, .categorical:
            element.type = .byteArray
            element.convertedType = 0
            element.logicalType = .string
        case .timestamp:
            element.type = .int64
            element.logicalType = .timestamp(adjustedToUTC: false, unit: 3)
        case .date:
            element.type = .int32
            element.convertedType = 6
            element.logicalType = .date
        }
        return element
    }

    /// The chunk's bytes (pages, headers included) and its metadata, offsets relative to `offset`.
    func encode(_ column: Column, name: String, offset: Int) throws -> (bytes: [UInt8], chunk: ParquetColumnChunk) {
        let element = Self.element(Schema.Field(name, column.type))
        let rows = column.count
        var output: [UInt8] = []
        var uncompressed = 0
        var dictionaryOffset: Int64?
        var encoding = ParquetEncoding.plain
        var body: ParquetPageValues
        var statistics: ParquetStatistics?
        switch try ParquetPageValues.of(column, dictionaryLimit: options.dictionaryPageSize) {
        case .dictionary(let dictionary, let indices):
            dictionaryOffset = Int64(offset)
            let page = ParquetPageValues.strings(dictionary)
            var bytes: [UInt8] = []
            page.append(0..<dictionary.count, to: &bytes)
            uncompressed += try appendPage(type: .dictionary, values: dictionary.count, encoding: .plain, body: bytes, to: &output)
            encoding = .rleDictionary
            if case .string = column.storage { statistics = ParquetColumnStatistics.of(dictionary: dictionary, nullCount: column.nullCount) }
            body = .indices(indices, bitWidth: max(1, RLEHybridEncoder.bitWidth(for: dictionary.count - 1)))
        case .plain(let plain):
            body = plain
        }
        let dataOffset = Int64(offset + output.count)
        // Pages of about `dataPageSize` bytes, by the average size of a row.
        let bytesPerRow = max(1, Double(body.estimatedBytes) / Double(max(1, rows)))
        let rowsPerPage = max(1, Int(Double(options.dataPageSize) / bytesPerRow))
        var nonNullBefore = 0
        for start in stride(from: 0, to: rows, by: rowsPerPage) {
            let end = min(rows, start + rowsPerPage)
            var page = Self.definitionLevels(column.validity, start..<end)
            let nonNull = column.validity == nil ? end - start : (start..<end).count { !column.isNull($0) }
            body.append(nonNullBefore..<nonNullBefore + nonNull, to: &page)
            nonNullBefore += nonNull
            uncompressed += try appendPage(type: .data, values: end - start, encoding: encoding, body: page, to: &output)
        }
        var encodings = [encoding.rawValue, ParquetEncoding.rle.rawValue]
        if dictionaryOffset != nil { encodings.append(ParquetEncoding.plain.rawValue) }
        let chunk = ParquetColumnChunk(
            type: element.type!, encodings: encodings, path: [name], codec: options.compression.codec.rawValue, valueCount: Int64(rows),
            uncompressedSize: Int64(uncompressed), compressedSize: Int64(output.count),
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset, statistics: statistics ?? ParquetColumnStatistics.of(column))
        return (output, chunk)
    }

    /// A page (header, then its body compressed) after `output`; its uncompressed size with the header.
    private func appendPage(type: ParquetPageType, values: Int, encoding: ParquetEncoding, body: [UInt8], to output: inout [UInt8]) throws -> Int {
        let compressed = options.compression == .snappy ? body.withUnsafeBufferPointer { Snappy.compress($0) } : body
        guard compressed.count <= Int(Int32.max), body.count <= Int(Int32.max) else {
            throw LoomError(.invalidArgument, "a Parquet page of \(body.count) bytes is more than a page can hold: write smaller partitions")
        }
        let header = ParquetPageHeader(type: type.rawValue, uncompressedSize: Int32(body.count), compressedSize: Int32(compressed.count),
                                       valueCount: Int32(values), encoding: encoding.rawValue).encoded()
        output += header
        output += compressed
        return header.count + body.count
    }

    /// Rows `range`'s definition levels (1 where a value is), a 4-byte length first.
    static func definitionLevels(_ validity: Validity?, _ range: Range<Int>) -> [UInt8] {
        var encoder = RLEHybridEncoder(bitWidth: 1)
        if let validity {
            let levels = range.map { UInt32(validity.isValid($0) ? 1 : 0) }
            levels.withUnsafeBufferPointer { encoder.encode($0) }
        } else {
            encoder.encodeRun(1, count: range.count)
        }
        let length = UInt32(encoder.bytes.count)
        return withUnsafeBytes(of: length.littleEndian) { Array($0) } + encoder.bytes
    }
}
