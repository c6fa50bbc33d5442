import LoomCore

/// A column's non-null values ready to be cut into pages: fixed-width numbers (their bytes are
/// the PLAIN encoding), booleans, strings, or dictionary indices.
enum ParquetPageValues {
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case doubles([Double])
    case bools([Bool])
    case strings(StringStorage)
    case indices([UInt32], bitWidth: Int)

    /// A column's values, plain or as a dictionary and indices (text whose distinct values are
    /// at most half its rows and fit `dictionaryLimit` bytes; categoricals always).
    enum Chosen {
        case plain(ParquetPageValues)
        case dictionary(StringStorage, [UInt32])
    }

    static func of(_ column: Column, dictionaryLimit: Int) throws -> Chosen {
        let validRows: [Int]? = column.validity.map { validity in (0..<column.count).filter { validity.isValid($0) } }
        func kept<T>(_ values: [T]) -> [T] { validRows.map { rows in rows.map { values[$0] } } ?? values }
        switch column.storage {
        case .int32(let values), .date(let values): return .plain(.int32s(kept(values)))
        case .int64(let values), .timestamp(let values): return .plain(.int64s(kept(values)))
        case .float(let values): return .plain(.floats(kept(values)))
        case .double(let values): return .plain(.doubles(kept(values)))
        case .bool(let values): return .plain(.bools(validRows.map { rows in rows.map { values[$0] } } ?? values))
        case .categorical(let codes, let categories):
            let kept = validRows.map { rows in rows.map { codes[$0] } } ?? codes
            return .dictionary(categories, kept.map { UInt32(bitPattern: $0) })
        case .string(let strings):
            let kept = validRows.map { strings.take($0) } ?? strings
            let index = try GroupIndex(try Table(names: ["value"], columns: [Column(storage: .string(kept))]), keys: ["value"])
            guard index.count * 2 <= max(1, kept.count) else { return .plain(.strings(kept)) }
            let dictionary = kept.take(index.firstRows)
            guard dictionary.bytes.count + 4 * dictionary.count <= dictionaryLimit else { return .plain(.strings(kept)) }
            return .dictionary(dictionary, index.groups.map { UInt32(bitPattern: $0) })
        }
    }

    /// About how many bytes the values take, to size pages.
    var estimatedBytes: Int {
        switch self {
        case .int32s(let values): values.count * 4
        case .int64s(let values): values.count * 8
        case .floats(let values): values.count * 4
        case .doubles(let values): values.count * 8
        case .bools(let values): values.count / 8
        case .strings(let strings): strings.bytes.count + 4 * strings.count
        case .indices(let indices, let bitWidth): indices.count * bitWidth / 8
        }
    }

    /// Values `range` (counted among the non-null values), encoded after `page`.
    func append(_ range: Range<Int>, to page: inout [UInt8]) {
        switch self {
        case .int32s(let values): values[range].withUnsafeBytes { page += $0 }
        case .int64s(let values): values[range].withUnsafeBytes { page += $0 }
        case .floats(let values): values[range].withUnsafeBytes { page += $0 }
        case .doubles(let values): values[range].withUnsafeBytes { page += $0 }
        case .bools(let values):
            var byte: UInt8 = 0
            for (position, index) in range.enumerated() {
                if values[index] { byte |= 1 << UInt8(position & 7) }
                if position & 7 == 7 { page.append(byte); byte = 0 }
            }
            if range.count & 7 != 0 { page.append(byte) }
        case .strings(let strings):
            for index in range {
                let bytes = strings.range(index)
                withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { page += $0 }
                page += strings.bytes[bytes]
            }
        case .indices(let indices, let bitWidth):
            page.append(UInt8(bitWidth))
            var encoder = RLEHybridEncoder(bitWidth: bitWidth)
            indices.withUnsafeBufferPointer { encoder.encode(UnsafeBufferPointer(rebasing: $0[range])) }
            page += encoder.bytes
        }
    }
}

/// A column chunk's min, max and null count, as the footer keeps them for readers to skip by.
enum ParquetColumnStatistics {
    static func of(_ column: Column) -> ParquetStatistics {
        var statistics = ParquetStatistics(nullCount: Int64(column.nullCount))
        func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
        func bounds<T: Comparable>(_ values: [T], _ keep: (T) -> Bool = { _ in true }) {
            var low: T?, high: T?
            for row in values.indices where !column.isNull(row) && keep(values[row]) {
                let value = values[row]
                if low == nil || value < low! { low = value }
                if high == nil || value > high! { high = value }
            }
            if let low, let high { statistics.min = bytes(low); statistics.max = bytes(high) }
        }
        func text(_ strings: StringStorage, _ rows: some Sequence<Int>) { bound(&statistics, strings, rows) }
        switch column.storage {
        case .int32(let values), .date(let values): bounds(values)
        case .int64(let values), .timestamp(let values): bounds(values)
        case .float(let values): bounds(values) { !$0.isNaN }
        case .double(let values): bounds(values) { !$0.isNaN }
        case .bool(let values): bounds(values.map { $0 ? UInt8(1) : 0 })
        case .string(let strings): text(strings, (0..<strings.count).lazy.filter { !column.isNull($0) })
        case .categorical(let codes, let categories):
            var used = [Bool](repeating: false, count: categories.count)
            for row in codes.indices where !column.isNull(row) { used[Int(codes[row])] = true }
            text(categories, used.indices.lazy.filter { used[$0] })
        }
        return statistics
    }

    /// The statistics of text whose distinct values are `dictionary` (a dictionary-coded chunk's:
    /// a handful of comparisons instead of two a row).
    static func of(dictionary: StringStorage, nullCount: Int) -> ParquetStatistics {
        var statistics = ParquetStatistics(nullCount: Int64(nullCount))
        bound(&statistics, dictionary, 0..<dictionary.count)
        return statistics
    }

    private static func bound(_ statistics: inout ParquetStatistics, _ strings: StringStorage, _ rows: some Sequence<Int>) {
        var low: Int?, high: Int?
        for index in rows {
            if low == nil || strings.compare(index, with: strings, low!) < 0 { low = index }
            if high == nil || strings.compare(index, with: strings, high!) > 0 { high = index }
        }
        if let low, let high { statistics.min = Array(strings.bytes[strings.range(low)]); statistics.max = Array(strings.bytes[strings.range(high)]) }
    }
}
