import LoomCore

/// One column chunk's values as Parquet stores them (its physical type), before they become a
/// Loom column: what pages decode into and dictionaries hold.
enum ParquetValues {
    case bools([Bool])
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case doubles([Double])
    case strings(StringStorage)

    static func empty(_ type: ParquetPhysicalType) -> ParquetValues {
        switch type {
        case .boolean: .bools([])
        case .int32: .int32s([])
        case .int64, .int96: .int64s([])
        case .float: .floats([])
        case .double: .doubles([])
        case .byteArray, .fixedLenByteArray: .strings(StringStorage())
        }
    }

    var count: Int {
        switch self {
        case .bools(let values): values.count
        case .int32s(let values): values.count
        case .int64s(let values): values.count
        case .floats(let values): values.count
        case .doubles(let values): values.count
        case .strings(let values): values.count
        }
    }

    /// `count` PLAIN-encoded values of `type` from the start of `data`.
    static func plain(_ data: UnsafeBufferPointer<UInt8>, count: Int, type: ParquetPhysicalType, context: @autoclosure () -> String) throws -> ParquetValues {
        func need(_ bytes: Int) throws {
            guard bytes <= data.count else { throw LoomError(.invalidArgument, "\(context()): a page holds \(data.count) bytes, too few for \(count) values") }
        }
        func fixed<T>(_: T.Type) throws -> [T] {
            try need(count * MemoryLayout<T>.size)
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: data.baseAddress!, byteCount: count * MemoryLayout<T>.size) }
                initialized = count
            }
        }
        switch type {
        case .boolean:
            try need((count + 7) / 8)
            return .bools((0..<count).map { data[$0 >> 3] & (1 << UInt8($0 & 7)) != 0 })
        case .int32: return .int32s(try fixed(Int32.self))
        case .int64: return .int64s(try fixed(Int64.self))
        case .float: return .floats(try fixed(Float.self))
        case .double: return .doubles(try fixed(Double.self))
        case .int96:
            try need(count * 12)
            // Legacy timestamps: nanoseconds of the day, then the Julian day.
            return .int64s((0..<count).map { index in
                let raw = UnsafeRawPointer(data.baseAddress! + index * 12)
                let nanos = raw.loadUnaligned(as: Int64.self), day = raw.loadUnaligned(fromByteOffset: 8, as: Int32.self)
                return (Int64(day) - 2_440_588) * 86_400_000_000_000 + nanos
            })
        case .byteArray:
            var strings = StringStorage()
            strings.reserve(count, bytes: max(0, data.count - 4 * count))
            var position = 0
            for _ in 0..<count {
                guard position + 4 <= data.count else { throw LoomError(.invalidArgument, "\(context()): a string runs past its page") }
                let length = Int(UnsafeRawPointer(data.baseAddress! + position).loadUnaligned(as: UInt32.self))
                position += 4
                guard position + length <= data.count else { throw LoomError(.invalidArgument, "\(context()): a string runs past its page") }
                strings.append(bytes: UnsafeBufferPointer(rebasing: data[position..<position + length]))
                position += length
            }
            return .strings(strings)
        case .fixedLenByteArray:
            throw LoomError(.unsupported, "\(context()): FIXED_LEN_BYTE_ARRAY columns (decimals, UUIDs) are not supported")
        }
    }

    /// The values at `indices` (a dictionary page's, by a data page's codes).
    func gather(_ indices: UnsafeBufferPointer<UInt32>, context: @autoclosure () -> String) throws -> ParquetValues {
        let size = count
        for index in indices where Int(index) >= size {
            throw LoomError(.invalidArgument, "\(context()): dictionary index \(index) past the dictionary's \(size) values")
        }
        switch self {
        case .bools(let values): return .bools(indices.map { values[Int($0)] })
        case .int32s(let values): return .int32s(indices.map { values[Int($0)] })
        case .int64s(let values): return .int64s(indices.map { values[Int($0)] })
        case .floats(let values): return .floats(indices.map { values[Int($0)] })
        case .doubles(let values): return .doubles(indices.map { values[Int($0)] })
        case .strings(let values): return .strings(values.take(indices.map { Int($0) }))
        }
    }

    mutating func append(_ other: ParquetValues) {
        switch (self, other) {
        case (.bools(var values), .bools(let more)): values += more; self = .bools(values)
        case (.int32s(var values), .int32s(let more)): values += more; self = .int32s(values)
        case (.int64s(var values), .int64s(let more)): values += more; self = .int64s(values)
        case (.floats(var values), .floats(let more)): values += more; self = .floats(values)
        case (.doubles(var values), .doubles(let more)): values += more; self = .doubles(values)
        case (.strings(var values), .strings(let more)): values.append(contentsOf: more); self = .strings(values)
        default: preconditionFailure("pages of one column chunk decode to one type")
        }
    }

    /// One value per row: the values in the valid rows, a zero (or empty string) in the others.
    func spread(over validity: Validity) -> ParquetValues {
        func spread<T>(_ values: [T], _ zero: T) -> [T] {
            var next = 0
            return (0..<validity.count).map { row in
                guard validity.isValid(row) else { return zero }
                defer { next += 1 }
                return values[next]
            }
        }
        switch self {
        case .bools(let values): return .bools(spread(values, false))
        case .int32s(let values): return .int32s(spread(values, 0))
        case .int64s(let values): return .int64s(spread(values, 0))
        case .floats(let values): return .floats(spread(values, 0))
        case .doubles(let values): return .doubles(spread(values, 0))
        case .strings(let values):
            var offsets = [Int32](repeating: 0, count: validity.count + 1)
            var next = 0
            for row in 0..<validity.count {
                if validity.isValid(row) { next += 1 }
                offsets[row + 1] = values.offsets[next]
            }
            return .strings(StringStorage(offsets: offsets, bytes: values.bytes))
        }
    }
}
