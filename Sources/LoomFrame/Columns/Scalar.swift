/// One value of a column, or a literal in an expression.
public enum Scalar: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    /// Nanoseconds since the epoch.
    case timestamp(Int64)
    /// Days since the epoch.
    case date(Int32)

    /// The column type a literal of this kind has when nothing beside it says otherwise.
    public var type: DataType {
        switch self {
        case .int: .int64
        case .double: .double
        case .bool: .bool
        case .string: .string
        case .timestamp: .timestamp
        case .date: .date
        }
    }

    /// The value as a double, for numbers.
    var asDouble: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .bool(let value): value ? "true" : "false"
        case .string(let value): "\"\(value)\""
        case .timestamp(let value): "timestamp(\(value) ns)"
        case .date(let value): "date(\(value) days)"
        }
    }
}
