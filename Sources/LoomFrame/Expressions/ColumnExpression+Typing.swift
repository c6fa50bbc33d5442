import LoomCore

/// The type of an expression's result, known from the schema alone: the planner checks a whole
/// plan before anything runs, and a type clash names both types and where.
extension ColumnExpression {
    /// The result's type on a table of `schema` (a lone null literal: int64).
    public func type(in schema: Schema) throws -> DataType {
        try typed(in: schema).type ?? .int64
    }

    /// The type (nil for a null literal) and whether the operand is a literal, whose type bends
    /// to the column beside it as numpy's weak scalars do (`int32 column + 1` stays int32).
    struct Typed {
        var type: DataType?
        var isLiteral: Bool
    }

    func typed(in schema: Schema) throws -> Typed {
        switch self {
        case .column(let name):
            return Typed(type: try schema.field(name).type, isLiteral: false)
        case .literal(let value):
            return Typed(type: value?.type, isLiteral: true)
        case .arithmetic(let op, let left, let right):
            let (l, r) = (try left.typed(in: schema), try right.typed(in: schema))
            return Typed(type: try Self.arithmeticType(op, l, r, in: self), isLiteral: l.isLiteral && r.isLiteral)
        case .comparison(_, let left, let right):
            _ = try Self.comparisonType(try left.typed(in: schema), try right.typed(in: schema), in: self)
            return Typed(type: .bool, isLiteral: false)
        case .and(let left, let right), .or(let left, let right):
            for side in [left, right] { try Self.expectBool(try side.typed(in: schema), side, in: self) }
            return Typed(type: .bool, isLiteral: false)
        case .not(let inner):
            try Self.expectBool(try inner.typed(in: schema), inner, in: self)
            return Typed(type: .bool, isLiteral: false)
        case .negate(let inner):
            let typed = try inner.typed(in: schema)
            if let type = typed.type, !type.isNumeric { throw Self.clash("cannot negate \(inner) of type \(type)", in: self) }
            return typed
        case .isIn(let inner, let values):
            let typed = try inner.typed(in: schema)
            for value in values { _ = try Self.comparisonType(typed, Typed(type: value.type, isLiteral: true), in: self) }
            return Typed(type: .bool, isLiteral: false)
        case .between(let inner, let low, let high):
            let typed = try inner.typed(in: schema)
            for bound in [low, high] { _ = try Self.comparisonType(typed, Typed(type: bound.type, isLiteral: true), in: self) }
            return Typed(type: .bool, isLiteral: false)
        case .isNull(let inner):
            _ = try inner.typed(in: schema)
            return Typed(type: .bool, isLiteral: false)
        case .string(_, let inner):
            let typed = try inner.typed(in: schema)
            if let type = typed.type, !type.isText { throw Self.clash("\(inner) is \(type), not a string: .str needs strings", in: self) }
            return Typed(type: .bool, isLiteral: false)
        case .cast(let inner, let target):
            let typed = try inner.typed(in: schema)
            if let type = typed.type, !Self.canCast(type, to: target) { throw Self.clash("cannot cast \(inner) of type \(type) to \(target)", in: self) }
            return Typed(type: target, isLiteral: typed.isLiteral)
        }
    }

    /// numpy's rules: the promoted type, a weak literal taking the column's; true division of
    /// integers gives float64.
    static func arithmeticType(_ op: ArithmeticOperator, _ left: Typed, _ right: Typed, in expression: ColumnExpression) throws -> DataType? {
        for side in [left, right] {
            if let type = side.type, !type.isNumeric {
                throw clash("arithmetic needs numbers, but \(describe(left)) \(op.rawValue) \(describe(right)) has \(type.withArticle)", in: expression)
            }
        }
        guard let l = left.type, let r = right.type else { return left.type ?? right.type }
        let type = meet(l, left.isLiteral, r, right.isLiteral)
        return op == .divide && type.isInteger ? .double : type
    }

    /// The type both sides of a comparison are compared in.
    static func comparisonType(_ left: Typed, _ right: Typed, in expression: ColumnExpression) throws -> DataType? {
        guard let l = left.type, let r = right.type else { return left.type ?? right.type }
        if l.isNumeric && r.isNumeric { return meet(l, left.isLiteral, r, right.isLiteral) }
        if l.isText && r.isText { return l == r ? l : .string }
        guard l == r else { throw clash("cannot compare \(describe(left)) with \(describe(right))", in: expression) }
        return l
    }

    /// Where two numeric types meet: a literal bends to a column (an int literal to any
    /// number, a float literal to a float column), columns promote.
    static func meet(_ left: DataType, _ leftIsLiteral: Bool, _ right: DataType, _ rightIsLiteral: Bool) -> DataType {
        if leftIsLiteral != rightIsLiteral {
            let (literal, column) = leftIsLiteral ? (left, right) : (right, left)
            if literal.isInteger || column.isFloatingPoint { return column }
            return .double
        }
        return DataType.promoted(left, right)
    }

    static func canCast(_ type: DataType, to target: DataType) -> Bool {
        if type == target { return true }
        if type.isNumeric && target.isNumeric { return true }
        if (type == .bool && target.isNumeric) || (type.isNumeric && target == .bool) { return true }
        if target == .string || (type == .string && target == .categorical) { return true }
        if type == .string && (target.isNumeric || target == .bool) { return true }
        switch (type, target) {
        case (.timestamp, .int64), (.int64, .timestamp), (.date, .int32), (.int32, .date), (.date, .timestamp): return true
        default: return false
        }
    }

    private static func expectBool(_ typed: Typed, _ side: ColumnExpression, in expression: ColumnExpression) throws {
        if let type = typed.type, type != .bool { throw clash("\(side) is \(type), not bool", in: expression) }
    }

    private static func describe(_ typed: Typed) -> String {
        guard let type = typed.type else { return "null" }
        return typed.isLiteral ? "\(type.withArticle) literal" : "\(type.withArticle) column"
    }

    static func clash(_ message: String, in expression: ColumnExpression) -> LoomError {
        LoomError(.typeMismatch, "\(message) (in \(expression))")
    }
}
