import LoomCore

/// Runs an expression on one table, column at a time: each operator is one loop over typed
/// buffers, and a literal stays one value instead of a column of copies.
extension ColumnExpression {
    /// The expression's value in every row of `table`. The whole expression is type-checked
    /// first, so a clash is reported before any work.
    public func evaluate(on table: Table) throws -> Column {
        let type = try typed(in: table.schema).type ?? .int64
        switch try operand(on: table) {
        case .column(let column): return column
        case .scalar(let value): return try Column.repeating(value, count: table.rowCount, type: type)
        }
    }

    /// A column, or one value for every row.
    enum Operand {
        case column(Column)
        case scalar(Scalar?)
    }

    func operand(on table: Table) throws -> Operand {
        switch self {
        case .column(let name):
            return .column(try table[name])
        case .literal(let value):
            return .scalar(value)
        case .arithmetic(let op, let left, let right):
            let type = try typed(in: table.schema).type
            let (l, r) = (try left.operand(on: table), try right.operand(on: table))
            switch type {
            case .int32?: return Self.arithmetic(op, l, r, Int32.self)
            case .int64?: return Self.arithmetic(op, l, r, Int64.self)
            case .float?: return Self.arithmetic(op, l, r, Float.self)
            case .double?: return Self.arithmetic(op, l, r, Double.self)
            default: return .scalar(nil)
            }
        case .comparison(let op, let left, let right):
            let type = try Self.comparisonType(try left.typed(in: table.schema), try right.typed(in: table.schema), in: self)
            return try Self.compare(op, try left.operand(on: table), try right.operand(on: table), in: type, rows: table.rowCount)
        case .and(let left, let right):
            return Self.logical(and: true, try left.operand(on: table), try right.operand(on: table), rows: table.rowCount)
        case .or(let left, let right):
            return Self.logical(and: false, try left.operand(on: table), try right.operand(on: table), rows: table.rowCount)
        case .not(let inner):
            _ = try typed(in: table.schema)
            switch try inner.operand(on: table) {
            case .scalar(let value): return .scalar(value.map { if case .bool(let b) = $0 { .bool(!b) } else { $0 } })
            case .column(let column): return .column(Column(storage: .bool(try column.bools.map { !$0 }), validity: column.validity))
            }
        case .negate(let inner):
            let type = try typed(in: table.schema).type
            let operand = try inner.operand(on: table)
            switch type {
            case .int32?: return Self.negate(operand, Int32.self)
            case .int64?: return Self.negate(operand, Int64.self)
            case .float?: return Self.negate(operand, Float.self)
            case .double?: return Self.negate(operand, Double.self)
            default: return .scalar(nil)
            }
        case .isIn(let inner, let values):
            _ = try typed(in: table.schema)
            return try Self.membership(try inner.operand(on: table), values, rows: table.rowCount)
        case .between(let inner, let low, let high):
            _ = try typed(in: table.schema)
            return try ColumnExpression.and(inner >= .literal(low), inner <= .literal(high)).operand(on: table)
        case .isNull(let inner):
            switch try inner.operand(on: table) {
            case .scalar(let value): return .scalar(.bool(value == nil))
            case .column(let column): return .column(Column((0..<column.count).map { column.isNull($0) }))
            }
        case .string(let predicate, let inner):
            _ = try typed(in: table.schema)
            return try Self.test(predicate, try inner.operand(on: table))
        case .cast(let inner, let target):
            _ = try typed(in: table.schema)
            switch try inner.operand(on: table) {
            case .scalar(let value): return .scalar(try value.flatMap { try Self.cast($0, to: target) })
            case .column(let column): return .column(try column.cast(to: target))
            }
        }
    }

    // MARK: Arithmetic

    /// Numbers in one type: a buffer, or one value (nil: null) for every row.
    private enum Numbers<T: FrameNumber> {
        case values([T], Validity?)
        case scalar(T?)

        init(_ operand: Operand) {
            switch operand {
            case .column(let column): self = .values(T.values(of: column.storage) ?? [], column.validity)
            case .scalar(let value): self = .scalar(value.flatMap { T.value(of: $0) })
            }
        }
    }

    private static func arithmetic<T: FrameNumber>(_ op: ArithmeticOperator, _ left: Operand, _ right: Operand, _: T.Type) -> Operand {
        let function: (T, T) -> T?
        switch op {
        case .add: function = T.add
        case .subtract: function = T.subtract
        case .multiply: function = T.multiply
        case .divide: function = T.divide
        case .remainder: function = T.remainder
        }
        switch (Numbers<T>(left), Numbers<T>(right)) {
        case (.scalar(let a), .scalar(let b)):
            guard let a, let b, let result = function(a, b) else { return .scalar(nil) }
            return .scalar(scalar(result))
        case (.scalar(nil), .values(let values, _)), (.values(let values, _), .scalar(nil)):
            return .column(Column(storage: T.storage(values), validity: Validity(words: .init(repeating: 0, count: (values.count + 63) / 64), count: values.count)))
        case (.scalar(let a?), .values(let values, let validity)):
            return column(values.count, validity) { function(a, values[$0]) }
        case (.values(let values, let validity), .scalar(let b?)):
            return column(values.count, validity) { function(values[$0], b) }
        case (.values(let a, let aValid), .values(let b, let bValid)):
            return column(a.count, Validity.both(aValid, bValid)) { function(a[$0], b[$0]) }
        }
    }

    private static func negate<T: FrameNumber>(_ operand: Operand, _: T.Type) -> Operand {
        switch Numbers<T>(operand) {
        case .scalar(let value): return .scalar(value.map { scalar(T.negate($0)) })
        case .values(let values, let validity): return .column(Column(storage: T.storage(values.map(T.negate)), validity: validity))
        }
    }

    /// One loop; a nil result (an integer divided by zero) makes its row null.
    private static func column<T: FrameNumber>(_ count: Int, _ validity: Validity?, _ value: (Int) -> T?) -> Operand {
        var results = [T]()
        results.reserveCapacity(count)
        var validity = validity
        for row in 0..<count {
            if let result = value(row) {
                results.append(result)
            } else {
                results.append(T(converting: Int64(0)))
                if validity == nil { validity = Validity(allValid: count) }
                validity!.set(row, false)
            }
        }
        return .column(Column(storage: T.storage(results), validity: validity))
    }

    private static func scalar<T: FrameNumber>(_ value: T) -> Scalar {
        switch value {
        case let value as Int32: .int(Int64(value))
        case let value as Int64: .int(value)
        case let value as Float: .double(Double(value))
        case let value as Double: .double(value)
        default: preconditionFailure("\(T.self) is not a frame number")
        }
    }
}
