import LoomCore

/// Comparisons, Kleene logic, membership and string tests: each gives a bool column whose null
/// rows are those where an input was null (`filter` drops them).
extension ColumnExpression {
    static func compare(_ op: ComparisonOperator, _ left: Operand, _ right: Operand, in type: DataType?, rows: Int) throws -> Operand {
        guard let type else { return .scalar(nil) }
        if case .scalar(let value) = left, case .column = right {
            // Column first: `5 < x` is `x > 5`.
            return try compare(op.flipped, right, .scalar(value), in: type, rows: rows)
        }
        if case .scalar(let a) = left, case .scalar(let b) = right {
            guard let a, let b else { return .scalar(nil) }
            let column = try compare(op, .column(try Column.repeating(a, count: 1, type: a.type)), .scalar(b), in: type, rows: 1)
            guard case .column(let result) = column else { return column }
            return .scalar(result[0])
        }
        switch type {
        case .int32: return try numbers(op, left, right, Int32.self)
        case .int64: return try numbers(op, left, right, Int64.self)
        case .float: return try numbers(op, left, right, Float.self)
        case .double: return try numbers(op, left, right, Double.self)
        case .string, .categorical: return try text(op, left, right)
        case .bool: return try numbers(op, try asIntegers(left), try asIntegers(right), Int64.self)
        case .timestamp, .date: return try numbers(op, try asIntegers(left), try asIntegers(right), Int64.self)
        }
    }

    @inline(__always)
    static func holds(_ op: ComparisonOperator, _ order: Int) -> Bool {
        switch op {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        case .greaterOrEqual: order >= 0
        }
    }

    @inline(__always)
    private static func holds<T: Comparable>(_ op: ComparisonOperator, _ a: T, _ b: T) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    private static func numbers<T: FrameNumber>(_ op: ComparisonOperator, _ left: Operand, _ right: Operand, _: T.Type) throws -> Operand {
        guard case .column(let column) = left, let a = T.values(of: column.storage) else { throw LoomError(.typeMismatch, "not a numeric column") }
        switch right {
        case .scalar(let value):
            guard let value, let b = T.value(of: value) else { return .column(try Column.repeating(nil, count: a.count, type: .bool)) }
            return .column(Column(storage: .bool(a.map { holds(op, $0, b) }), validity: column.validity))
        case .column(let other):
            guard let b = T.values(of: other.storage) else { throw LoomError(.typeMismatch, "not a numeric column") }
            return .column(Column(storage: .bool((0..<a.count).map { holds(op, a[$0], b[$0]) }), validity: Validity.both(column.validity, other.validity)))
        }
    }

    /// Bools, timestamps and dates compare as the integers they are.
    private static func asIntegers(_ operand: Operand) throws -> Operand {
        switch operand {
        case .scalar(let value):
            switch value {
            case .bool(let b)?: return .scalar(.int(b ? 1 : 0))
            case .timestamp(let t)?: return .scalar(.int(t))
            case .date(let d)?: return .scalar(.int(Int64(d)))
            default: return .scalar(value)
            }
        case .column(let column):
            switch column.storage {
            case .bool(let values): return .column(Column(storage: .int64(values.map { $0 ? 1 : 0 }), validity: column.validity))
            case .timestamp(let values): return .column(Column(storage: .int64(values), validity: column.validity))
            case .date(let values): return .column(Column(storage: .int32(values), validity: column.validity))
            default: return operand
            }
        }
    }

    private static func text(_ op: ComparisonOperator, _ left: Operand, _ right: Operand) throws -> Operand {
        guard case .column(let column) = left else { throw LoomError(.typeMismatch, "not a string column") }
        switch (column.storage, right) {
        case (_, .scalar(nil)):
            return .column(try Column.repeating(nil, count: column.count, type: .bool))
        case (.categorical(let codes, let categories), .scalar(.string(let literal)?)):
            // Each category once, then a lookup per row.
            let answers = categoryAnswers(categories) { order(categories, $0, literal) }.map { holds(op, $0) }
            return .column(Column(storage: .bool(codes.map { answers.isEmpty ? false : answers[Int($0)] }), validity: column.validity))
        case (.string(let strings), .scalar(.string(let literal)?)):
            var literal = literal
            let results = literal.withUTF8 { bytes in (0..<strings.count).map { holds(op, strings.compare($0, with: bytes)) } }
            return .column(Column(storage: .bool(results), validity: column.validity))
        case (_, .column(let other)):
            let (a, b) = (try column.stringStorage(), try other.stringStorage())
            return .column(Column(storage: .bool((0..<a.count).map { holds(op, a.compare($0, with: b, $0)) }), validity: Validity.both(column.validity, other.validity)))
        default:
            throw LoomError(.typeMismatch, "cannot compare \(column.type.withArticle) column with \(right)")
        }
    }

    private static func order(_ strings: StringStorage, _ index: Int, _ literal: String) -> Int {
        var literal = literal
        return literal.withUTF8 { strings.compare(index, with: $0) }
    }

    private static func categoryAnswers<T>(_ categories: StringStorage, _ answer: (Int) -> T) -> [T] {
        (0..<categories.count).map(answer)
    }

    /// Kleene logic, as SQL and Arrow: false && null is false, true || null is true.
    static func logical(and isAnd: Bool, _ left: Operand, _ right: Operand, rows: Int) -> Operand {
        func split(_ operand: Operand) -> (value: (Int) -> Bool, valid: (Int) -> Bool) {
            switch operand {
            case .scalar(.bool(let b)?): return ({ _ in b }, { _ in true })
            case .scalar: return ({ _ in false }, { _ in false })
            case .column(let column):
                let values = (try? column.bools) ?? []
                return ({ values[$0] }, { !column.isNull($0) })
            }
        }
        if case .scalar(let a) = left, case .scalar(let b) = right {
            guard case .bool(let x)? = a, case .bool(let y)? = b else {
                if case .bool(let x)? = a, x != isAnd { return .scalar(.bool(x)) }
                if case .bool(let y)? = b, y != isAnd { return .scalar(.bool(y)) }
                return .scalar(nil)
            }
            return .scalar(.bool(isAnd ? x && y : x || y))
        }
        let (a, b) = (split(left), split(right))
        var values = [Bool](repeating: false, count: rows)
        var validity = Validity(allValid: rows)
        for row in 0..<rows {
            let (x, xValid, y, yValid) = (a.value(row), a.valid(row), b.value(row), b.valid(row))
            // The deciding value: false for and, true for or; it wins over a null.
            let decisive = !isAnd
            if (xValid && x == decisive) || (yValid && y == decisive) {
                values[row] = decisive
            } else if xValid && yValid {
                values[row] = !decisive
            } else {
                validity.set(row, false)
            }
        }
        return .column(Column(storage: .bool(values), validity: validity))
    }

    /// Whether each value is one of `values`; a null is in no list.
    static func membership(_ operand: Operand, _ values: [Scalar], rows: Int) throws -> Operand {
        guard case .column(let column) = operand else {
            guard case .scalar(let value) = operand, let value else { return .scalar(.bool(false)) }
            return .scalar(.bool(values.contains(value) || values.contains { $0.asDouble != nil && $0.asDouble == value.asDouble }))
        }
        var results: [Bool]
        switch column.storage {
        case .int32, .int64, .date, .timestamp:
            let wanted = Set(values.compactMap { value -> Int64? in
                switch value {
                case .int(let v), .timestamp(let v): v
                case .date(let d): Int64(d)
                case .double(let d): d.rounded() == d ? Int64(exactly: d) : nil
                default: nil
                }
            })
            let ints = try Int64.values(of: column.storage) ?? asIntegerValues(column)
            results = ints.map { wanted.contains($0) }
        case .float, .double:
            let wanted = Set(values.compactMap(\.asDouble))
            results = (Double.values(of: column.storage) ?? []).map { wanted.contains($0) }
        case .bool(let bools):
            let wanted = Set(values.compactMap { if case .bool(let b) = $0 { b } else { nil } })
            results = bools.map { wanted.contains($0) }
        case .string(let strings):
            let wanted = Set(values.compactMap { if case .string(let s) = $0 { s } else { nil } })
            results = (0..<strings.count).map { wanted.contains(strings[$0]) }
        case .categorical(let codes, let categories):
            let wanted = Set(values.compactMap { if case .string(let s) = $0 { s } else { nil } })
            let answers = categoryAnswers(categories) { wanted.contains(categories[$0]) }
            results = codes.map { answers.isEmpty ? false : answers[Int($0)] }
        }
        if let validity = column.validity { for row in 0..<rows where !validity.isValid(row) { results[row] = false } }
        return .column(Column(results))
    }

    private static func asIntegerValues(_ column: Column) throws -> [Int64] {
        switch column.storage {
        case .date(let days): days.map { Int64($0) }
        case .timestamp(let values): values
        default: throw LoomError(.typeMismatch, "\(column.type.withArticle) column holds no integers")
        }
    }

    /// pandas' `.str.startswith` and friends, by bytes.
    static func test(_ predicate: StringPredicate, _ operand: Operand) throws -> Operand {
        func holds(_ bytes: ArraySlice<UInt8>, _ pattern: [UInt8]) -> Bool {
            switch predicate {
            case .startsWith: return bytes.starts(with: pattern)
            case .endsWith: return bytes.count >= pattern.count && bytes.suffix(pattern.count).elementsEqual(pattern)
            case .contains:
                guard !pattern.isEmpty else { return true }
                guard bytes.count >= pattern.count else { return false }
                var start = bytes.startIndex
                while start + pattern.count <= bytes.endIndex {
                    if bytes[start] == pattern[0] && bytes[start..<start + pattern.count].elementsEqual(pattern) { return true }
                    start += 1
                }
                return false
            }
        }
        let pattern: [UInt8]
        switch predicate {
        case .startsWith(let text), .endsWith(let text), .contains(let text): pattern = Array(text.utf8)
        }
        switch operand {
        case .scalar(let value):
            guard case .string(let string)? = value else { return .scalar(nil) }
            return .scalar(.bool(holds(ArraySlice(string.utf8), pattern)))
        case .column(let column):
            switch column.storage {
            case .string(let strings):
                return .column(Column(storage: .bool((0..<strings.count).map { holds(strings.bytes[strings.range($0)], pattern) }), validity: column.validity))
            case .categorical(let codes, let categories):
                let answers = categoryAnswers(categories) { holds(categories.bytes[categories.range($0)], pattern) }
                return .column(Column(storage: .bool(codes.map { answers.isEmpty ? false : answers[Int($0)] }), validity: column.validity))
            default:
                throw LoomError(.typeMismatch, "\(column.type.withArticle) column has no .str methods")
            }
        }
    }
}

extension Column {
    /// The strings of a text column as offsets and bytes (a categorical decoded).
    func stringStorage() throws -> StringStorage {
        switch storage {
        case .string(let strings): return strings
        case .categorical(let codes, let categories):
            var decoded = StringStorage()
            for (row, code) in codes.enumerated() {
                if isNull(row) || categories.count == 0 { decoded.append("") } else { decoded.append(categories, Int(code)) }
            }
            return decoded
        default: throw LoomError(.typeMismatch, "\(type.withArticle) column holds no strings")
        }
    }
}
