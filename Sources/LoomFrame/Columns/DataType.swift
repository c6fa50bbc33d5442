/// The type of a column's values: typed storage underneath a schema known at run time.
public enum DataType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case int32, int64, float, double, bool, string
    /// Strings coded as small integers into a dictionary of the distinct values (pandas'
    /// `category`, Arrow's dictionary arrays).
    case categorical
    /// Nanoseconds since 1970-01-01T00:00:00 UTC (pandas' `datetime64[ns]`).
    case timestamp
    /// Days since 1970-01-01 (Arrow's `date32`).
    case date

    public var isNumeric: Bool { self == .int32 || self == .int64 || self == .float || self == .double }
    public var isInteger: Bool { self == .int32 || self == .int64 }
    public var isFloatingPoint: Bool { self == .float || self == .double }
    /// Strings, however stored.
    public var isText: Bool { self == .string || self == .categorical }

    /// The name with its article, for messages: "an int64", "a string".
    var withArticle: String { ("aeiou".contains(description.first!) ? "an " : "a ") + description }

    /// pandas' names (`int64`, `float64`, `category`, `datetime64[ns]`), as errors and
    /// `describe` print them.
    public var description: String {
        switch self {
        case .int32: "int32"
        case .int64: "int64"
        case .float: "float32"
        case .double: "float64"
        case .bool: "bool"
        case .string: "string"
        case .categorical: "category"
        case .timestamp: "datetime64[ns]"
        case .date: "date32"
        }
    }

    /// The type two numeric types meet in for arithmetic and comparison, as numpy promotes:
    /// a type with itself stays; two integer types meet in int64; anything with a float in float64.
    static func promoted(_ left: DataType, _ right: DataType) -> DataType {
        if left == right { return left }
        if left.isFloatingPoint || right.isFloatingPoint { return .double }
        return .int64
    }
}
