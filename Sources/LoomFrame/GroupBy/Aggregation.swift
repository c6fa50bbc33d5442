/// One aggregation of a group-by: `.sum("v1")` gives a column `v1_sum`, `.count()` a column
/// `count` (rows per group).
public struct Aggregation: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case sum, mean, count, size, min, max, std, `var`, first, last, nunique
    }

    public var kind: Kind
    /// The column aggregated (nil for rows per group).
    public var column: String?
    /// The result's column name.
    public var name: String

    public init(_ kind: Kind, _ column: String?, as name: String? = nil) {
        self.kind = kind
        self.column = column
        self.name = name ?? column.map { "\($0)_\(kind.rawValue)" } ?? kind.rawValue
    }

    public static func sum(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.sum, column, as: name) }
    public static func mean(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.mean, column, as: name) }
    /// Rows per group, as the column `count`; `.count("v1")`: the rows where v1 is not null.
    public static func count(_ column: String? = nil, as name: String? = nil) -> Aggregation { Aggregation(column == nil ? .size : .count, column, as: name ?? (column == nil ? "count" : nil)) }
    /// Rows per group, nulls included, as the column `size`.
    public static func size(as name: String? = nil) -> Aggregation { Aggregation(.size, nil, as: name) }
    public static func min(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.min, column, as: name) }
    public static func max(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.max, column, as: name) }
    /// The sample standard deviation (ddof 1, as pandas).
    public static func std(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.std, column, as: name) }
    /// The sample variance (ddof 1, as pandas).
    public static func `var`(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.var, column, as: name) }
    /// The first value that is not null, in row order.
    public static func first(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.first, column, as: name) }
    /// The number of distinct values that are not null (a group-by of the keys and the column,
    /// then a count).
    public static func nunique(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.nunique, column, as: name) }
    /// The last value that is not null, in row order.
    public static func last(_ column: String, as name: String? = nil) -> Aggregation { Aggregation(.last, column, as: name) }
}
