import LoomCore

/// How a merge keeps rows without a match, as pandas' `how`.
public enum MergeHow: String, Sendable, Hashable, Codable {
    /// Rows whose keys are on both sides.
    case inner
    /// Every left row; right columns null where nothing matched.
    case left
    /// Every right row; left columns null where nothing matched.
    case right
    /// Every row of both sides.
    case outer
}

/// A merge's keys, kind and the suffixes of non-key columns both sides have (pandas' `_x`, `_y`).
struct MergeSpec: Sendable, Hashable, Codable {
    var on: [String]
    var how: MergeHow
    var suffixes: [String] = ["_x", "_y"]

    /// The result's columns: the keys, then the left's other columns, then the right's; a name on
    /// both sides gets the suffixes. Keys of different types on the two sides are an error.
    func schema(left: Schema, right: Schema) throws -> Schema {
        guard !on.isEmpty else { throw LoomError(.invalidArgument, "a merge needs at least one key column") }
        var keys: [Schema.Field] = []
        for key in on {
            let (l, r) = (try left.field(key), try right.field(key))
            guard let type = Self.keyType(l.type, r.type) else {
                throw LoomError(.typeMismatch, "cannot merge on '\(key)': it is \(l.type) on the left and \(r.type) on the right; cast one side first")
            }
            keys.append(Schema.Field(key, type))
        }
        let leftRest = left.fields.filter { !on.contains($0.name) }, rightRest = right.fields.filter { !on.contains($0.name) }
        let shared = Set(leftRest.map(\.name)).intersection(rightRest.map(\.name))
        let fields = keys
            + leftRest.map { Schema.Field(shared.contains($0.name) ? $0.name + suffixes[0] : $0.name, $0.type) }
            + rightRest.map { Schema.Field(shared.contains($0.name) ? $0.name + suffixes[1] : $0.name, $0.type) }
        var seen = Set<String>()
        for field in fields where !seen.insert(field.name).inserted {
            throw LoomError(.invalidArgument, "the merge gives two columns named '\(field.name)': rename one side first")
        }
        return Schema(fields)
    }

    /// The type two key columns are compared in: integers of either width as int64, floats as
    /// float64, strings and categoricals as strings; others only with themselves.
    static func keyType(_ left: DataType, _ right: DataType) -> DataType? {
        if left == right { return left == .categorical ? .string : left }
        if left.isInteger && right.isInteger { return .int64 }
        if left.isFloatingPoint && right.isFloatingPoint { return .double }
        if left.isText && right.isText { return .string }
        return nil
    }
}
