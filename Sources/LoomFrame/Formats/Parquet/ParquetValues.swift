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

/// A column chunk's values as its pages decode, each page appended in place into arrays
/// reserved for the whole chunk (no page's values are copied twice).
struct ParquetValueBuilder {
    let type: ParquetPhysicalType
    private var bools: [Bool] = []
    private var int32s: [Int32] = []
    private var int64s: [Int64] = []
    private var floats: [Float] = []
    private var doubles: [Double] = []
    private var strings = StringStorage()

    init(_ type: ParquetPhysicalType, rows: Int) {
        self.type = type
        switch type {
        case .boolean: bools.reserveCapacity(rows)
        case .int32: int32s.reserveCapacity(rows)
        case .int64, .int96: int64s.reserveCapacity(rows)
        case .float: floats.reserveCapacity(rows)
        case .double: doubles.reserveCapacity(rows)
        case .byteArray, .fixedLenByteArray: strings.reserve(rows, bytes: 0)
        }
    }

    var values: ParquetValues {
        switch type {
        case .boolean: .bools(bools)
        case .int32: .int32s(int32s)
        case .int64, .int96: .int64s(int64s)
        case .float: .floats(floats)
        case .double: .doubles(doubles)
        case .byteArray, .fixedLenByteArray: .strings(strings)
        }
    }

    /// `count` PLAIN values; fixed-width ones in one copy.
    mutating func appendPlain(_ data: UnsafeBufferPointer<UInt8>, count: Int, context: @autoclosure () -> String) throws {
        func copy<T>(_ array: inout [T], _ zero: T) throws {
            let bytes = count * MemoryLayout<T>.size
            guard bytes <= data.count else { throw LoomError(.invalidArgument, "\(context()): a page holds \(data.count) bytes, too few for \(count) values") }
            let start = array.count
            array.append(contentsOf: repeatElement(zero, count: count))
            array.withUnsafeMutableBytes { raw in
                if bytes > 0 { (raw.baseAddress! + start * MemoryLayout<T>.size).copyMemory(from: data.baseAddress!, byteCount: bytes) }
            }
        }
        switch type {
        case .int32: try copy(&int32s, 0)
        case .int64: try copy(&int64s, 0)
        case .float: try copy(&floats, 0)
        case .double: try copy(&doubles, 0)
        default: append(try ParquetValues.plain(data, count: count, type: type, context: context()))
        }
    }

    /// The dictionary's values at `indices`, checked to be in it.
    mutating func appendGathered(_ indices: UnsafeBufferPointer<UInt32>, from dictionary: ParquetValues, context: @autoclosure () -> String) throws {
        let size = UInt32(truncatingIfNeeded: dictionary.count)
        if let bad = indices.first(where: { $0 >= size }) {
            throw LoomError(.invalidArgument, "\(context()): dictionary index \(bad) past the dictionary's \(size) values")
        }
        func gather<T>(_ array: inout [T], _ source: [T]) {
            source.withUnsafeBufferPointer { source in
                for index in indices { array.append(source[Int(index)]) }
            }
        }
        switch dictionary {
        case .bools(let source): gather(&bools, source)
        case .int32s(let source): gather(&int32s, source)
        case .int64s(let source): gather(&int64s, source)
        case .floats(let source): gather(&floats, source)
        case .doubles(let source): gather(&doubles, source)
        case .strings(let source): strings.append(source, at: indices)
        }
    }

    mutating func append(_ other: ParquetValues) {
        switch other {
        case .bools(let more): bools += more
        case .int32s(let more): int32s += more
        case .int64s(let more): int64s += more
        case .floats(let more): floats += more
        case .doubles(let more): doubles += more
        case .strings(let more): strings.append(contentsOf: more)
        }
    }
}
