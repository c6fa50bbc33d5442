import LoomCore

/// Builds one column of a CSV block from its fields' bytes, in the schema's type.
struct CSVColumnBuilder {
    let type: DataType
    private var int32s: [Int32] = [], int64s: [Int64] = [], floats: [Float] = [], doubles: [Double] = [], bools: [Bool] = []
    private var strings = StringStorage()
    private var rows = 0
    /// Rows that are null: few, so no flag per row is kept.
    private var nullRows: [Int] = []

    init(type: DataType) { self.type = type }

    mutating func reserve(_ rows: Int, bytesPerRow: Int) {
        switch type {
        case .int32, .date: int32s.reserveCapacity(rows)
        case .int64, .timestamp: int64s.reserveCapacity(rows)
        case .float: floats.reserveCapacity(rows)
        case .double: doubles.reserveCapacity(rows)
        case .bool: bools.reserveCapacity(rows)
        case .string, .categorical: strings.reserve(rows, bytes: rows * (bytesPerRow * 2 + 1))
        }
    }

    /// Appends a field; returns false if its text is not a value of the column's type.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, isNull: Bool) -> Bool {
        if isNull { nullRows.append(rows) }
        rows += 1
        switch type {
        case .int32:
            guard let value = isNull ? 0 : CSVFieldParsing.int64(bytes), let narrow = Int32(exactly: value) else { return false }
            int32s.append(narrow)
        case .int64:
            guard let value = isNull ? 0 : CSVFieldParsing.int64(bytes) else { return false }
            int64s.append(value)
        case .float:
            guard let value = isNull ? 0 : CSVFieldParsing.double(bytes) else { return false }
            floats.append(Float(value))
        case .double:
            guard let value = isNull ? 0 : CSVFieldParsing.double(bytes) else { return false }
            doubles.append(value)
        case .bool:
            guard let value = isNull ? false : CSVFieldParsing.bool(bytes) else { return false }
            bools.append(value)
        case .string, .categorical:
            if isNull { strings.append(bytes: UnsafeBufferPointer(start: nil, count: 0)) } else { strings.append(bytes: bytes) }
        case .timestamp:
            guard let value = isNull ? 0 : CSVFieldParsing.timestamp(bytes) else { return false }
            int64s.append(value)
        case .date:
            guard let value = isNull ? 0 : CSVFieldParsing.date(bytes) else { return false }
            int32s.append(value)
        }
        return true
    }

    /// Appends field `column` of every row of `chunk` (ranges of `buffer`); returns the first
    /// row whose text is not a value of the column's type, nil when every one is.
    mutating func append(column: Int, of chunk: CSVRowChunk, in buffer: UnsafeBufferPointer<UInt8>, nulls: NullTokens) -> Int? {
        let fields = ChunkColumn(chunk: chunk, column: column, base: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, nulls: nulls)
        defer { rows += chunk.rows }
        switch type {
        case .int32:
            return fields.parse(into: &int32s, zero: 0, nullRows: &nullRows, firstRow: rows) { CSVFieldParsing.int64($0).flatMap { Int32(exactly: $0) } }
        case .int64:
            return fields.parse(into: &int64s, zero: 0, nullRows: &nullRows, firstRow: rows, CSVFieldParsing.int64)
        case .float:
            return fields.parse(into: &floats, zero: 0, nullRows: &nullRows, firstRow: rows) { CSVFieldParsing.double($0).map { Float($0) } }
        case .double:
            return fields.parse(into: &doubles, zero: 0, nullRows: &nullRows, firstRow: rows, CSVFieldParsing.double)
        case .bool:
            return fields.parse(into: &bools, zero: false, nullRows: &nullRows, firstRow: rows, CSVFieldParsing.bool)
        case .timestamp:
            return fields.parse(into: &int64s, zero: 0, nullRows: &nullRows, firstRow: rows, CSVFieldParsing.timestamp)
        case .date:
            return fields.parse(into: &int32s, zero: 0, nullRows: &nullRows, firstRow: rows, CSVFieldParsing.date)
        case .string, .categorical:
            fields.copy(into: &strings, nullRows: &nullRows, firstRow: rows)
            return nil
        }
    }

    func finish() -> Column {
        var validity: Validity?
        if !nullRows.isEmpty {
            var bits = Validity(allValid: rows)
            for row in nullRows { bits.set(row, false) }
            validity = bits
        }
        switch type {
        case .int32: return Column(storage: .int32(int32s), validity: validity)
        case .int64: return Column(storage: .int64(int64s), validity: validity)
        case .float: return Column(storage: .float(floats), validity: validity)
        case .double: return Column(storage: .double(doubles), validity: validity)
        case .bool: return Column(storage: .bool(bools), validity: validity)
        case .string: return Column(storage: .string(strings), validity: validity)
        case .categorical:
            let column = Column(storage: .string(strings), validity: validity)
            return (try? column.cast(to: .categorical)) ?? column
        case .timestamp: return Column(storage: .timestamp(int64s), validity: validity)
        case .date: return Column(storage: .date(int32s), validity: validity)
        }
    }
}

/// One column of a chunk's rows: each field's bytes, or that it is null.
private struct ChunkColumn {
    let chunk: CSVRowChunk
    let column: Int
    let base: UnsafePointer<UInt8>
    let nulls: NullTokens

    /// Field `row`'s bytes, nil if it is null.
    @inline(__always)
    func bytes(_ row: Int) -> UnsafeBufferPointer<UInt8>? {
        let field = row * chunk.columns + column
        let start = chunk.starts[field]
        guard start >= 0 else { return nil }
        let bytes = UnsafeBufferPointer(start: base + start, count: chunk.ends[field] - start)
        return nulls.contains(bytes) ? nil : bytes
    }

    /// Every row's value appended to `values` (a null's place holds `zero`); the first row
    /// that does not parse, nil if all do.
    @inline(__always)
    func parse<Value>(into values: inout [Value], zero: Value, nullRows: inout [Int], firstRow: Int, _ parse: (UnsafeBufferPointer<UInt8>) -> Value?) -> Int? {
        let before = values.count
        values.append(contentsOf: repeatElement(zero, count: chunk.rows))
        return values.withUnsafeMutableBufferPointer { values -> Int? in
            for row in 0..<chunk.rows {
                guard let bytes = bytes(row) else { nullRows.append(firstRow + row); continue }
                guard let value = parse(bytes) else { return row }
                values[before + row] = value
            }
            return nil
        }
    }

    /// Every row's bytes appended to `strings` (a null as an empty string).
    func copy(into strings: inout StringStorage, nullRows: inout [Int], firstRow: Int) {
        var total = 0
        for row in 0..<chunk.rows {
            if let bytes = bytes(row) { total += bytes.count } else { nullRows.append(firstRow + row) }
        }
        strings.append(chunk.rows, totalBytes: total) { row in bytes(row) ?? UnsafeBufferPointer(start: nil, count: 0) }
    }
}
