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
