import LoomCore

/// Rows picked out of columns: by position, by a mask, by range, and columns put end to end.
extension Column {
    /// The rows at `indices`, in their order.
    public func take(_ indices: [Int]) -> Column {
        func pick<T>(_ values: [T]) -> [T] { indices.map { values[$0] } }
        let validity = self.validity.map { validity in Validity(indices.map { validity.isValid($0) }) }
        switch storage {
        case .int32(let values): return Column(storage: .int32(pick(values)), validity: validity)
        case .int64(let values): return Column(storage: .int64(pick(values)), validity: validity)
        case .float(let values): return Column(storage: .float(pick(values)), validity: validity)
        case .double(let values): return Column(storage: .double(pick(values)), validity: validity)
        case .bool(let values): return Column(storage: .bool(pick(values)), validity: validity)
        case .timestamp(let values): return Column(storage: .timestamp(pick(values)), validity: validity)
        case .date(let values): return Column(storage: .date(pick(values)), validity: validity)
        case .categorical(let codes, let categories): return Column(storage: .categorical(codes: pick(codes), categories: categories), validity: validity)
        case .string(let strings): return Column(storage: .string(strings.take(indices)), validity: validity)
        }
    }

    /// The rows where `mask` is true (false and null rows go).
    public func filter(_ mask: [Bool]) -> Column {
        take(Self.rows(where: mask))
    }

    /// The positions where `mask` is true.
    static func rows(where mask: [Bool]) -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(mask.count)
        for (row, keep) in mask.enumerated() where keep { indices.append(row) }
        return indices
    }

    /// Rows `range`.
    public func slice(_ range: Range<Int>) -> Column {
        if range == 0..<count { return self }
        let validity = self.validity.map { validity in Validity(range.map { validity.isValid($0) }) }
        switch storage {
        case .int32(let values): return Column(storage: .int32(Array(values[range])), validity: validity)
        case .int64(let values): return Column(storage: .int64(Array(values[range])), validity: validity)
        case .float(let values): return Column(storage: .float(Array(values[range])), validity: validity)
        case .double(let values): return Column(storage: .double(Array(values[range])), validity: validity)
        case .bool(let values): return Column(storage: .bool(Array(values[range])), validity: validity)
        case .timestamp(let values): return Column(storage: .timestamp(Array(values[range])), validity: validity)
        case .date(let values): return Column(storage: .date(Array(values[range])), validity: validity)
        case .categorical(let codes, let categories): return Column(storage: .categorical(codes: Array(codes[range]), categories: categories), validity: validity)
        case .string(let strings): return Column(storage: .string(strings.slice(range)), validity: validity)
        }
    }

    /// Columns of one type end to end; categoricals with different dictionaries get one that
    /// holds every category (the first column's order, then the new ones).
    public static func concatenate(_ columns: [Column]) throws -> Column {
        guard let first = columns.first else { throw LoomError(.invalidArgument, "no columns to concatenate") }
        if columns.count == 1 { return first }
        for column in columns where column.type != first.type {
            throw LoomError(.typeMismatch, "cannot put \(column.type.withArticle) column after \(first.type.withArticle) column")
        }
        let anyNull = columns.contains { $0.validity != nil }
        var validity: Validity?
        if anyNull {
            var joined = Validity(allValid: columns.reduce(0) { $0 + $1.count })
            var row = 0
            for column in columns {
                if let part = column.validity { for index in 0..<column.count where !part.isValid(index) { joined.set(row + index, false) } }
                row += column.count
            }
            validity = joined
        }
        func joined<T>(_ extract: (Column) -> [T]) -> [T] {
            var values: [T] = []
            values.reserveCapacity(columns.reduce(0) { $0 + $1.count })
            for column in columns { values.append(contentsOf: extract(column)) }  // a copy of each buffer
            return values
        }
        switch first.storage {
        case .int32: return Column(storage: .int32(joined { try! $0.int32s }), validity: validity)
        case .int64: return Column(storage: .int64(joined { try! $0.int64s }), validity: validity)
        case .float: return Column(storage: .float(joined { try! $0.floats }), validity: validity)
        case .double: return Column(storage: .double(joined { try! $0.doubles }), validity: validity)
        case .bool: return Column(storage: .bool(joined { try! $0.bools }), validity: validity)
        case .timestamp: return Column(storage: .timestamp(joined { try! $0.timestamps }), validity: validity)
        case .date: return Column(storage: .date(joined { try! $0.dates }), validity: validity)
        case .string:
            var total = 0
            var joinedStrings = StringStorage()
            joinedStrings.reserve(columns.reduce(0) { $0 + $1.count }, bytes: columns.reduce(0) { total, column in
                if case .string(let strings) = column.storage { total + strings.bytes.count } else { total }
            })
            for column in columns {
                guard case .string(let strings) = column.storage else { continue }
                total += strings.bytes.count
                try StringStorage.checkSize(total, "the concatenated column")
                joinedStrings.append(contentsOf: strings)
            }
            return Column(storage: .string(joinedStrings), validity: validity)
        case .categorical:
            var index: [String: Int32] = [:]
            var categories = StringStorage()
            var codes: [Int32] = []
            for column in columns {
                guard case .categorical(let part, let partCategories) = column.storage else { continue }
                let mapping = (0..<partCategories.count).map { category -> Int32 in
                    let value = partCategories[category]
                    if let code = index[value] { return code }
                    let code = Int32(index.count)
                    index[value] = code
                    categories.append(value)
                    return code
                }
                codes += part.map { mapping.isEmpty ? 0 : mapping[Int($0)] }
            }
            return Column(storage: .categorical(codes: codes, categories: categories), validity: validity)
        }
    }
}
