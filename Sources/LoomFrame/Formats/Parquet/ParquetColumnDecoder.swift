import LoomCore

/// How one file column maps to a Loom column: its physical type, whether it may be null
/// (a definition level of 1), and the logical type that says what the numbers mean.
struct ParquetColumnDescriptor: Sendable, Codable, Hashable {
    var name: String
    var physical: ParquetPhysicalType
    var type: DataType
    var optional: Bool
    /// Timestamps in the file's unit times this are nanoseconds (1 for ns, 1000 for µs, …).
    var nanosecondsPerUnit: Int64 = 1
    /// An unsigned 32-bit column, widened to int64.
    var unsigned32 = false

    /// The descriptor of a flat schema element; nested or unknown types are errors saying so.
    init(_ element: ParquetSchemaElement, context: String) throws {
        func unsupported(_ what: String) -> LoomError {
            LoomError(.unsupported, "\(context): column '\(element.name)' is \(what), which Loom does not read")
        }
        guard let physical = element.type else { throw unsupported("a nested group") }
        guard element.repetition != .repeated else { throw unsupported("repeated (a list)") }
        name = element.name
        self.physical = physical
        optional = element.repetition != .required
        switch (physical, element.logicalType, element.convertedType) {
        case (.boolean, _, _): type = .bool
        case (.int32, .date?, _), (.int32, nil, 6?): type = .date
        case (.int32, .integer(32, false)?, _), (.int32, nil, 13?): type = .int64; unsigned32 = true
        case (.int32, .other(let id)?, _): throw unsupported("INT32 with logical type \(id) (decimal or time)")
        case (.int32, _, 5?), (.int64, _, 5?): throw unsupported("a decimal")
        case (.int32, _, _): type = .int32
        case (.int64, .timestamp(_, let unit)?, _):
            type = .timestamp
            nanosecondsPerUnit = unit == 1 ? 1_000_000 : unit == 2 ? 1000 : 1
        case (.int64, nil, 9?): type = .timestamp; nanosecondsPerUnit = 1_000_000
        case (.int64, nil, 10?): type = .timestamp; nanosecondsPerUnit = 1000
        case (.int64, .other(let id)?, _): throw unsupported("INT64 with logical type \(id) (decimal or time)")
        case (.int64, _, _): type = .int64
        case (.int96, _, _): type = .timestamp
        case (.float, _, _): type = .float
        case (.double, _, _): type = .double
        case (.byteArray, _, _): type = .string
        case (.fixedLenByteArray, _, _): throw unsupported("FIXED_LEN_BYTE_ARRAY (a decimal or UUID)")
        }
    }

    /// Decoded values (one per row) as a column of `type`.
    func column(_ values: ParquetValues, validity: Validity?) -> Column {
        switch (values, type) {
        case (.bools(let values), _): return Column(storage: .bool(values), validity: validity)
        case (.int32s(let values), .date): return Column(storage: .date(values), validity: validity)
        case (.int32s(let values), .int64): return Column(storage: .int64(values.map { Int64(UInt32(bitPattern: $0)) }), validity: validity)
        case (.int32s(let values), _): return Column(storage: .int32(values), validity: validity)
        case (.int64s(let values), .timestamp):
            let scaled = nanosecondsPerUnit == 1 ? values : values.map { $0 &* nanosecondsPerUnit }
            return Column(storage: .timestamp(scaled), validity: validity)
        case (.int64s(let values), _): return Column(storage: .int64(values), validity: validity)
        case (.floats(let values), _): return Column(storage: .float(values), validity: validity)
        case (.doubles(let values), _): return Column(storage: .double(values), validity: validity)
        case (.strings(let values), _): return Column(storage: .string(values), validity: validity)
        }
    }
}

/// Decodes one column chunk, page by page: dictionary pages, data pages v1 and v2, in any of
/// the codecs and encodings Loom reads; anything else is an error naming it.
struct ParquetColumnDecoder {
    let descriptor: ParquetColumnDescriptor
    let codec: Int32
    /// The file, for messages.
    let context: String

    private var where_: String { "\(context), column '\(descriptor.name)'" }

    func decode(_ chunk: [UInt8], rows: Int) throws -> Column {
        var values = ParquetValueBuilder(descriptor.physical, rows: rows)
        var dictionary: ParquetValues?
        // Made at the first null: before it, every row had a value.
        var validity: [Bool]?
        var rowsRead = 0
        var position = 0
        while rowsRead < rows {
            guard position < chunk.count else { throw LoomError(.invalidArgument, "\(where_): the chunk ends after \(rowsRead) of its \(rows) rows") }
            var reader = ThriftReader(chunk, at: position, context: where_)
            let header = try ParquetPageHeader(&reader)
            let start = reader.position, end = start + Int(header.compressedSize)
            guard header.compressedSize >= 0, end <= chunk.count else { throw LoomError(.invalidArgument, "\(where_): a page runs past its chunk") }
            position = end
            switch ParquetPageType(rawValue: header.type) {
            case .dictionary:
                let page = try decompressed(chunk, start..<end, size: header.uncompressedSize)
                dictionary = try page.withUnsafeBufferPointer {
                    try ParquetValues.plain($0, count: Int(header.valueCount), type: descriptor.physical, context: where_)
                }
            case .data, .dataV2:
                let page = try dataPage(header, chunk, start..<end)
                let count = Int(header.valueCount)
                var nonNull = count
                if let defined = page.definitions {
                    nonNull = defined.count { $0 }
                    if nonNull < count, validity == nil { validity = [Bool](repeating: true, count: rowsRead) }
                }
                if validity != nil { validity! += page.definitions ?? [Bool](repeating: true, count: count) }
                try page.values.withUnsafeBufferPointer { data in
                    try appendValues(data, count: nonNull, encoding: header.encoding, dictionary: dictionary, to: &values)
                }
                rowsRead += count
            default:
                continue
            }
        }
        guard let validity else { return descriptor.column(values.values, validity: nil) }
        let bitmap = Validity(validity)
        return descriptor.column(values.values.spread(over: bitmap), validity: bitmap)
    }

    /// A data page's definition levels (nil when the column cannot be null) and its values' bytes.
    private struct DataPage {
        var definitions: [Bool]?
        var values: [UInt8]
    }

    private func dataPage(_ header: ParquetPageHeader, _ chunk: [UInt8], _ range: Range<Int>) throws -> DataPage {
        let count = Int(header.valueCount)
        if header.type == ParquetPageType.dataV2.rawValue {
            // v2: levels first, never compressed; then the values, compressed or not.
            let levelBytes = Int(header.repetitionLevelsLength) + Int(header.definitionLevelsLength)
            guard header.repetitionLevelsLength == 0 else { throw LoomError(.unsupported, "\(where_): repeated values (lists) are not supported") }
            guard levelBytes <= range.count else { throw LoomError(.invalidArgument, "\(where_): a page's levels run past it") }
            let levels = range.lowerBound..<range.lowerBound + levelBytes
            let definitions = try descriptor.optional
                ? chunk.withUnsafeBufferPointer { try self.definitions(UnsafeBufferPointer(rebasing: $0[levels]), count: count) } : nil
            let body = levels.upperBound..<range.upperBound
            let values = header.isCompressed
                ? try decompressed(chunk, body, size: header.uncompressedSize - Int32(levelBytes)) : Array(chunk[body])
            return DataPage(definitions: definitions, values: values)
        }
        let page = try decompressed(chunk, range, size: header.uncompressedSize)
        guard descriptor.optional else { return DataPage(definitions: nil, values: page) }
        guard header.definitionLevelEncoding == ParquetEncoding.rle.rawValue else {
            throw LoomError(.unsupported, "\(where_): definition levels in \(ParquetEncoding.named(header.definitionLevelEncoding)) are not supported")
        }
        // v1: a 4-byte length, then the levels, then the values.
        guard page.count >= 4 else { throw LoomError(.invalidArgument, "\(where_): a data page too short for its levels") }
        let length = Int(page.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        guard 4 + length <= page.count else { throw LoomError(.invalidArgument, "\(where_): a page's levels run past it") }
        let definitions = try page.withUnsafeBufferPointer { try self.definitions(UnsafeBufferPointer(rebasing: $0[4..<4 + length]), count: count) }
        return DataPage(definitions: definitions, values: Array(page[(4 + length)...]))
    }

    private func definitions(_ data: UnsafeBufferPointer<UInt8>, count: Int) throws -> [Bool] {
        var levels = [UInt32](repeating: 0, count: count)
        var decoder = RLEHybridDecoder(data, bitWidth: 1, context: where_)
        try levels.withUnsafeMutableBufferPointer { try decoder.decode(count, into: $0.baseAddress!) }
        return levels.map { $0 == 1 }
    }

    private func appendValues(_ data: UnsafeBufferPointer<UInt8>, count: Int, encoding: Int32, dictionary: ParquetValues?,
                              to values: inout ParquetValueBuilder) throws {
        switch ParquetEncoding(rawValue: encoding) {
        case .plain:
            try values.appendPlain(data, count: count, context: where_)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw LoomError(.invalidArgument, "\(where_): a dictionary-coded page without a dictionary page") }
            guard count > 0 else { return }
            guard let width = data.first, width <= 32 else { throw LoomError(.invalidArgument, "\(where_): a bad dictionary index width") }
            var indices = [UInt32](repeating: 0, count: count)
            var decoder = RLEHybridDecoder(UnsafeBufferPointer(rebasing: data[1...]), bitWidth: Int(width), context: where_)
            try indices.withUnsafeMutableBufferPointer { try decoder.decode(count, into: $0.baseAddress!) }
            try indices.withUnsafeBufferPointer { try values.appendGathered($0, from: dictionary, context: where_) }
        case .deltaBinaryPacked where descriptor.physical == .int32 || descriptor.physical == .int64:
            let decoded = try DeltaBinaryPacked.decode(data, count: count, context: where_)
            values.append(descriptor.physical == .int32 ? .int32s(decoded.map { Int32(truncatingIfNeeded: $0) }) : .int64s(decoded))
        case .rle where descriptor.physical == .boolean:
            // Booleans as RLE: a 4-byte length, then the hybrid at one bit.
            var bits = [UInt32](repeating: 0, count: count)
            guard data.count >= 4 else { throw LoomError(.invalidArgument, "\(where_): a short RLE page") }
            var decoder = RLEHybridDecoder(UnsafeBufferPointer(rebasing: data[4...]), bitWidth: 1, context: where_)
            try bits.withUnsafeMutableBufferPointer { try decoder.decode(count, into: $0.baseAddress!) }
            values.append(.bools(bits.map { $0 != 0 }))
        default:
            throw LoomError(.unsupported, "\(where_): values in \(ParquetEncoding.named(encoding)) are not supported (Loom reads PLAIN, dictionary, RLE and DELTA_BINARY_PACKED integers)")
        }
    }

    private func decompressed(_ chunk: [UInt8], _ range: Range<Int>, size: Int32) throws -> [UInt8] {
        switch ParquetCodec(rawValue: codec) {
        case .uncompressed:
            return Array(chunk[range])
        case .snappy:
            let page = try chunk.withUnsafeBufferPointer { try Snappy.decompress(UnsafeBufferPointer(rebasing: $0[range]), context: where_) }
            guard page.count == Int(size) else { throw LoomError(.invalidArgument, "\(where_): a page decompressed to \(page.count) bytes, its header says \(size)") }
            return page
        default:
            let name = ParquetCodec(rawValue: codec).map { "\($0)".uppercased() } ?? "codec \(codec)"
            throw LoomError(.unsupported, "\(where_): the \(name) codec is not supported (Loom reads SNAPPY and UNCOMPRESSED; write with compression='snappy')")
        }
    }
}
