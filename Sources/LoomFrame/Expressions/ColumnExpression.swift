/// A computation on a table's columns, as data: `col("v1") * 2 + col("v2")`,
/// `col("v1") > 5 && col("id1") != "id016"`. A planner reads it (which columns it needs, which
/// filters can go into a reader); `evaluate(on:)` runs it on one table.
///
/// Not `Equatable`: `==` builds a comparison, as pandas' does. `description` is the expression.
public indirect enum ColumnExpression: Sendable, Codable, CustomStringConvertible {
    case column(String)
    /// A value; nil is null.
    case literal(Scalar?)
    case arithmetic(ArithmeticOperator, ColumnExpression, ColumnExpression)
    case comparison(ComparisonOperator, ColumnExpression, ColumnExpression)
    case and(ColumnExpression, ColumnExpression)
    case or(ColumnExpression, ColumnExpression)
    case not(ColumnExpression)
    case negate(ColumnExpression)
    case isIn(ColumnExpression, [Scalar])
    /// Inclusive at both ends, as pandas' `between`.
    case between(ColumnExpression, Scalar, Scalar)
    case isNull(ColumnExpression)
    case string(StringPredicate, ColumnExpression)
    case cast(ColumnExpression, DataType)

    public enum ArithmeticOperator: String, Sendable, Codable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    }

    public enum ComparisonOperator: String, Sendable, Codable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

        /// The same comparison with its sides swapped (`5 < x` is `x > 5`).
        var flipped: ComparisonOperator {
            switch self {
            case .equal, .notEqual: self
            case .less: .greater
            case .lessOrEqual: .greaterOrEqual
            case .greater: .less
            case .greaterOrEqual: .lessOrEqual
            }
        }
    }

    public enum StringPredicate: Sendable, Codable, CustomStringConvertible {
        case startsWith(String), endsWith(String), contains(String)

        public var description: String {
            switch self {
            case .startsWith(let text): "startsWith(\"\(text)\")"
            case .endsWith(let text): "endsWith(\"\(text)\")"
            case .contains(let text): "contains(\"\(text)\")"
            }
        }
    }

    /// The columns it reads, each once, in order of first use.
    public var columnsUsed: [String] {
        var names: [String] = []
        func visit(_ expression: ColumnExpression) {
            switch expression {
            case .column(let name): if !names.contains(name) { names.append(name) }
            case .literal: break
            case .arithmetic(_, let left, let right), .comparison(_, let left, let right), .and(let left, let right), .or(let left, let right):
                visit(left)
                visit(right)
            case .not(let inner), .negate(let inner), .isIn(let inner, _), .between(let inner, _, _), .isNull(let inner),
                 .string(_, let inner), .cast(let inner, _):
                visit(inner)
            }
        }
        visit(self)
        return names
    }

    public var description: String {
        switch self {
        case .column(let name): "col(\"\(name)\")"
        case .literal(let value): value?.description ?? "null"
        case .arithmetic(let op, let left, let right): "(\(left) \(op.rawValue) \(right))"
        case .comparison(let op, let left, let right): "(\(left) \(op.rawValue) \(right))"
        case .and(let left, let right): "(\(left) && \(right))"
        case .or(let left, let right): "(\(left) || \(right))"
        case .not(let inner): "!\(inner)"
        case .negate(let inner): "-\(inner)"
        case .isIn(let inner, let values): "\(inner).isIn([\(values.map(\.description).joined(separator: ", "))])"
        case .between(let inner, let low, let high): "\(inner).between(\(low), \(high))"
        case .isNull(let inner): "\(inner).isNull()"
        case .string(let predicate, let inner): "\(inner).str.\(predicate)"
        case .cast(let inner, let type): "\(inner).cast(\(type))"
        }
    }
}

/// The column `name` of the table an expression runs on.
public func col(_ name: String) -> ColumnExpression { .column(name) }

/// A literal value in an expression (literals of Swift's own types work too: `col("v1") > 5`).
public func lit(_ value: Scalar?) -> ColumnExpression { .literal(value) }
