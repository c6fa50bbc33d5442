import LoomCore

extension Table {
    /// A table of `rows`, each a value (or nil) per column of `schema`, in its order; a value
    /// that is not of its column's type is an error naming its row and column.
    public init(rows: [[Scalar?]], schema: Schema) throws {
        let width = schema.fields.count
        var columns: [Column] = []
        for (index, field) in schema.fields.enumerated() {
            var values: [Scalar?] = []
            values.reserveCapacity(rows.count)
            for (number, row) in rows.enumerated() {
                guard row.count == width else { throw LoomError(.invalidArgument, "row \(number) has \(row.count) values, but the schema has \(width) columns (\(schema))") }
                values.append(row[index])
            }
            columns.append(try Column(values, type: field.type, name: field.name))
        }
        try self.init(names: schema.names, columns: columns)
    }
}

extension Column {
    /// A column of `type` from values; one of another type is an error naming `name` and the row.
    init(_ values: [Scalar?], type: DataType, name: String) throws {
        let valid = Validity(values.map { $0 != nil })
        func mismatch(_ row: Int) -> LoomError {
            LoomError(.typeMismatch, "row \(row), column '\(name)': \(values[row]!) is not \(type.withArticle)")
        }
        func typed<T>(_ zero: T, _ convert: (Scalar) -> T?) throws -> [T] {
            try values.enumerated().map { row, value in
                guard let value else { return zero }
                guard let converted = convert(value) else { throw mismatch(row) }
                return converted
            }
        }
        switch type {
        case .int32: self.init(storage: .int32(try typed(0) { if case .int(let v) = $0 { Int32(exactly: v) } else { nil } }), validity: valid)
        case .int64: self.init(storage: .int64(try typed(0) { if case .int(let v) = $0 { v } else { nil } }), validity: valid)
        case .float: self.init(storage: .float(try typed(Float(0)) { $0.asDouble.map { Float($0) } }), validity: valid)
        case .double: self.init(storage: .double(try typed(0) { $0.asDouble }), validity: valid)
        case .bool: self.init(storage: .bool(try typed(false) { if case .bool(let v) = $0 { v } else { nil } }), validity: valid)
        case .string: self.init(storage: .string(StringStorage(try typed("") { if case .string(let v) = $0 { v } else { nil } })), validity: valid)
        case .categorical:
            let strings = try typed("") { if case .string(let v) = $0 { v } else { nil } }
            self = Column.categorical(zip(strings, values).map { $1 == nil ? nil : $0 })
        case .timestamp: self.init(storage: .timestamp(try typed(0) { if case .timestamp(let v) = $0 { v } else { nil } }), validity: valid)
        case .date: self.init(storage: .date(try typed(0) { if case .date(let v) = $0 { v } else { nil } }), validity: valid)
        }
    }
}
