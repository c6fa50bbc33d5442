import LoomCore

/// The reductions a group-by is made of, each one step of a tree: applied to rows, then again
/// to partial results (a sum of sums, a minimum of minimums), so partitions reduce in any
/// grouping and order of combination keeps first and last right.
struct GroupedReduction: Sendable, Hashable, Codable {
    enum Kind: String, Sendable, Hashable, Codable {
        case sum, count, size, min, max, first, last, sumOfSquares
    }

    var kind: Kind
    /// The input column (nil for `size`).
    var input: String?
    var output: String

    /// The same reduction over partial results of itself: counts and sizes add up.
    var combining: GroupedReduction {
        let kind: Kind = switch kind {
        case .count, .size, .sumOfSquares: .sum
        default: kind
        }
        return GroupedReduction(kind: kind, input: output, output: output)
    }
}

extension Table {
    /// One row per group of `keys` (in order of first appearance): the keys, then each
    /// reduction's column.
    func reduce(by keys: [String], _ reductions: [GroupedReduction]) throws -> Table {
        let index = try GroupIndex(self, keys: keys)
        var names = keys, columns = try keys.map { try self[$0].take(index.firstRows) }
        for reduction in reductions {
            names.append(reduction.output)
            columns.append(try reduce(reduction, index))
        }
        return try Table(names: names, columns: columns)
    }

    private func reduce(_ reduction: GroupedReduction, _ index: GroupIndex) throws -> Column {
        let groups = index.groups, count = index.count
        if reduction.kind == .size {
            return Column(Self.scatter(groups, groups, nil, count: count, initial: Int64(0)) { sum, _ in sum += 1 })
        }
        let column = try self[reduction.input!]
        let validity = column.validity
        switch reduction.kind {
        case .size: preconditionFailure("handled above")
        case .count:
            return Column(Self.scatter(groups, groups, validity, count: count, initial: Int64(0)) { sum, _ in sum += 1 })
        case .sum:
            switch column.storage {
            case .int32, .int64, .bool:
                let values = try column.type == .bool ? column.cast(to: .int64).int64s : Int64.values(of: column.storage)!
                return Column(Self.scatter(values, groups, validity, count: count, initial: Int64(0)) { $0 &+= $1 })
            case .float, .double:
                return Column(Self.scatter(Double.values(of: column.storage)!, groups, validity, count: count, initial: 0.0) { $0 += $1 })
            default:
                throw LoomError(.typeMismatch, "cannot sum column '\(reduction.input!)' of type \(column.type)")
            }
        case .sumOfSquares:
            guard column.type.isNumeric else { throw LoomError(.typeMismatch, "cannot take the variance of column '\(reduction.input!)' of type \(column.type)") }
            return Column(Self.scatter(Double.values(of: column.storage)!, groups, validity, count: count, initial: 0.0) { $0 += $1 * $1 })
        case .min, .max:
            return try extreme(column, reduction, index)
        case .first, .last:
            var chosen = [Int](repeating: -1, count: count)
            for (row, group) in groups.enumerated() where !column.isNull(row) {
                if reduction.kind == .last || chosen[Int(group)] < 0 { chosen[Int(group)] = row }
            }
            return column.take(chosen.map { Swift.max($0, 0) }, nullWhere: chosen.map { $0 < 0 })
        }
    }

    /// One result per group, from `initial`, with `add` applied to it for every row present in
    /// `validity` (all when nil): through buffers, as a group-by's time is in these loops.
    @inline(__always)
    private static func scatter<Value, Result>(_ values: [Value], _ groups: [Int32], _ validity: Validity?, count: Int,
                                               initial: Result, _ add: (inout Result, Value) -> Void) -> [Result] {
        var results = [Result](repeating: initial, count: count)
        results.withUnsafeMutableBufferPointer { results in
            values.withUnsafeBufferPointer { values in
                groups.withUnsafeBufferPointer { groups in
                    if let validity {
                        for row in 0..<groups.count where validity.isValid(row) { add(&results[Int(groups[row])], values[row]) }
                    } else {
                        for row in 0..<groups.count { add(&results[Int(groups[row])], values[row]) }
                    }
                }
            }
        }
        return results
    }

    /// The smallest or largest value per group, in the column's own type (null for a group of
    /// nulls only).
    private func extreme(_ column: Column, _ reduction: GroupedReduction, _ index: GroupIndex) throws -> Column {
        let isMin = reduction.kind == .min
        var best = [Int](repeating: -1, count: index.count)
        func scan<T: Comparable>(_ values: [T]) {
            for (row, group) in index.groups.enumerated() where !column.isNull(row) {
                let current = best[Int(group)]
                if current < 0 || (isMin ? values[row] < values[current] : values[row] > values[current]) { best[Int(group)] = row }
            }
        }
        switch column.storage {
        case .int32(let values), .date(let values): scan(values)
        case .int64(let values), .timestamp(let values): scan(values)
        case .float(let values): scan(values)
        case .double(let values): scan(values)
        case .bool(let values): scan(values.map { $0 ? 1 : 0 })
        case .string, .categorical: scan(try column.strings)
        }
        return column.take(best.map { Swift.max($0, 0) }, nullWhere: best.map { $0 < 0 })
    }
}

extension Column {
    /// The rows at `indices`, null where `nullWhere` says.
    func take(_ indices: [Int], nullWhere: [Bool]) -> Column {
        let taken = take(indices)
        guard nullWhere.contains(true) else { return taken }
        var validity = taken.validity ?? Validity(allValid: indices.count)
        for (row, isNull) in nullWhere.enumerated() where isNull { validity.set(row, false) }
        return Column(storage: taken.storage, validity: validity)
    }
}
