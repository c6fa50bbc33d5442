import Foundation
import LoomCore

/// A group-by aggregation as the three steps of a tree reduction: each partition reduces to
/// partial columns (sums, counts, sums of squares, extremes), partials combine with the same
/// reductions, and the last step turns partials into the answers (a mean is a sum over a count)
/// with one row per group, sorted by the keys, null keys dropped — as pandas and Dask do.
struct GroupByPlan: Sendable, Hashable, Codable {
    var keys: [String]
    var aggregations: [Aggregation]
    /// Keys whose nulls form a group of their own (every other key's nulls are dropped).
    var keysKeepingNulls: [String] = []
    /// Output partitions: 1 for a tree to one table; more to shuffle the partials by a hash of
    /// their keys, each output combining and finishing its own groups (Dask's `split_out`).
    var splitOut = 1

    init(keys: [String], aggregations: [Aggregation], keysKeepingNulls: [String] = [], splitOut: Int = 1) {
        self.keys = keys
        self.aggregations = aggregations
        self.keysKeepingNulls = keysKeepingNulls
        self.splitOut = Swift.max(1, splitOut)
    }

    /// The partial columns each aggregation needs, in order.
    private func partials(_ index: Int, _ aggregation: Aggregation) -> [GroupedReduction] {
        func partial(_ kind: GroupedReduction.Kind) -> GroupedReduction {
            GroupedReduction(kind: kind, input: aggregation.column, output: "__\(index)_\(kind.rawValue)")
        }
        switch aggregation.kind {
        case .sum: return [partial(.sum)]
        case .mean: return [partial(.sum), partial(.count)]
        case .count: return [partial(.count)]
        case .size: return [partial(.size)]
        case .min: return [partial(.min)]
        case .max: return [partial(.max)]
        case .first: return [partial(.first)]
        case .last: return [partial(.last)]
        case .std, .var: return [partial(.count), partial(.sum), partial(.sumOfSquares)]
        // GroupedFrame.agg plans nunique as two group-bys; none reaches a reduction.
        case .nunique: return []
        }
    }

    var reductions: [GroupedReduction] { aggregations.enumerated().flatMap { partials($0, $1) } }

    /// What the result's columns are, checked against the input's: unknown columns and
    /// aggregations a type does not have are errors before anything runs.
    func schema(of input: Schema) throws -> Schema {
        var fields = try keys.map { try input.field($0) }
        for aggregation in aggregations {
            let type: DataType
            if let name = aggregation.column {
                let field = try input.field(name)
                type = try Self.resultType(aggregation, field.type)
            } else {
                type = .int64
            }
            fields.append(Schema.Field(aggregation.name, type))
        }
        var seen = Set<String>()
        for field in fields where !seen.insert(field.name).inserted {
            throw LoomError(.invalidArgument, "the group-by gives two columns named '\(field.name)': name one with `as:`")
        }
        return Schema(fields)
    }

    private static func resultType(_ aggregation: Aggregation, _ type: DataType) throws -> DataType {
        switch aggregation.kind {
        case .count, .size, .nunique: return .int64
        case .first, .last, .min, .max: return type
        case .sum:
            if type.isInteger || type == .bool { return .int64 }
            if type.isFloatingPoint { return .double }
        case .mean, .std, .var:
            if type.isNumeric || type == .bool { return .double }
        }
        throw LoomError(.typeMismatch, "cannot take the \(aggregation.kind.rawValue) of column '\(aggregation.column!)' of type \(type)")
    }

    func chunk(_ table: Table) throws -> Table {
        try table.reduce(by: keys, reductions)
    }

    func combine(_ partials: [Table]) throws -> Table {
        try Table.concatenate(partials).reduce(by: keys, reductions.map(\.combining))
    }

    func finalize(_ partial: Table) throws -> Table {
        var names = keys
        var columns = try keys.map { try partial[$0] }
        for (index, aggregation) in aggregations.enumerated() {
            func part(_ kind: GroupedReduction.Kind) throws -> Column { try partial["__\(index)_\(kind.rawValue)"] }
            names.append(aggregation.name)
            switch aggregation.kind {
            case .sum: columns.append(try part(.sum))
            case .count: columns.append(try part(.count))
            case .size: columns.append(try part(.size))
            case .nunique: throw LoomError(.unsupported, "nunique is planned as two group-bys, not as a reduction")
            case .min: columns.append(try part(.min))
            case .max: columns.append(try part(.max))
            case .first: columns.append(try part(.first))
            case .last: columns.append(try part(.last))
            case .mean:
                let sums = try part(.sum).asDoubles, counts = try part(.count).int64s
                columns.append(Column(zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : nil }))
            case .var, .std:
                let counts = try part(.count).int64s, sums = try part(.sum).asDoubles, squares = try part(.sumOfSquares).doubles
                let variances = (0..<counts.count).map { group -> Double? in
                    let n = Double(counts[group])
                    guard n > 1 else { return nil }
                    return Swift.max(0, (squares[group] - sums[group] * sums[group] / n) / (n - 1))
                }
                columns.append(Column(aggregation.kind == .std ? variances.map { $0.map { $0.squareRoot() } } : variances))
            }
        }
        let table = try Table(names: names, columns: columns)
        let withKeys = try keys.isEmpty ? table : table.filter(keys.filter { !keysKeepingNulls.contains($0) }.map { col($0).notNull() }.reduce(ColumnExpression.literal(.bool(true))) { $0 && $1 })
        return try withKeys.sorted(by: keys)
    }
}
