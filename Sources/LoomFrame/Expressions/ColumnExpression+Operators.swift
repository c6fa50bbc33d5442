/// The operators that build expressions, and literals written as Swift's own.
extension ColumnExpression: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .literal(.int(value)) }
    public init(floatLiteral value: Double) { self = .literal(.double(value)) }
    public init(stringLiteral value: String) { self = .literal(.string(value)) }
    public init(booleanLiteral value: Bool) { self = .literal(.bool(value)) }
    public init(nilLiteral: ()) { self = .literal(nil) }

    public static func + (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .arithmetic(.add, left, right) }
    public static func - (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .arithmetic(.subtract, left, right) }
    public static func * (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .arithmetic(.multiply, left, right) }
    public static func / (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .arithmetic(.divide, left, right) }
    public static func % (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .arithmetic(.remainder, left, right) }
    public static prefix func - (operand: ColumnExpression) -> ColumnExpression { .negate(operand) }

    public static func == (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.equal, left, right) }
    public static func != (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.notEqual, left, right) }
    public static func < (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.less, left, right) }
    public static func <= (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.lessOrEqual, left, right) }
    public static func > (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.greater, left, right) }
    public static func >= (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .comparison(.greaterOrEqual, left, right) }

    public static func && (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .and(left, right) }
    public static func || (left: ColumnExpression, right: ColumnExpression) -> ColumnExpression { .or(left, right) }
    public static prefix func ! (operand: ColumnExpression) -> ColumnExpression { .not(operand) }

    /// Whether the value is one of `values`.
    public func isIn(_ values: [Scalar]) -> ColumnExpression { .isIn(self, values) }
    public func isIn(_ values: [String]) -> ColumnExpression { .isIn(self, values.map { .string($0) }) }
    public func isIn(_ values: [Int]) -> ColumnExpression { .isIn(self, values.map { .int(Int64($0)) }) }
    /// `low <= value && value <= high`.
    public func between(_ low: Scalar, _ high: Scalar) -> ColumnExpression { .between(self, low, high) }
    public func between(_ low: Double, _ high: Double) -> ColumnExpression { .between(self, .double(low), .double(high)) }
    public func between(_ low: Int, _ high: Int) -> ColumnExpression { .between(self, .int(Int64(low)), .int(Int64(high))) }
    public func isNull() -> ColumnExpression { .isNull(self) }
    public func notNull() -> ColumnExpression { .not(.isNull(self)) }
    public func cast(_ type: DataType) -> ColumnExpression { .cast(self, type) }

    /// String tests, as pandas' `.str` accessor: `col("id1").str.startsWith("id0")`.
    public var str: StringMethods { StringMethods(operand: self) }

    public struct StringMethods: Sendable {
        let operand: ColumnExpression
        public func startsWith(_ prefix: String) -> ColumnExpression { .string(.startsWith(prefix), operand) }
        public func endsWith(_ suffix: String) -> ColumnExpression { .string(.endsWith(suffix), operand) }
        public func contains(_ text: String) -> ColumnExpression { .string(.contains(text), operand) }
    }
}
