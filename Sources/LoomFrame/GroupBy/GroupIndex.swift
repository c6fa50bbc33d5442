import LoomCore

/// Which group each row of a table falls in, by the values of its key columns: groups are
/// numbered in order of first appearance. Each key column is first turned into dense ids
/// (a categorical's codes as they are), then the ids of several columns are combined pairwise,
/// so the hashing is of integers, never of whole rows.
struct GroupIndex {
    /// The group of each row.
    let groups: [Int32]
    /// The first row of each group, from which its keys are taken.
    let firstRows: [Int]

    var count: Int { firstRows.count }

    init(_ table: Table, keys: [String]) throws {
        guard !keys.isEmpty else {
            groups = [Int32](repeating: 0, count: table.rowCount)
            firstRows = table.rowCount > 0 ? [0] : []
            return
        }
        var combined = try Self.denseIDs(try table[keys[0]])
        for key in keys.dropFirst() {
            let next = try Self.denseIDs(try table[key])
            var pairs: [Int64: Int32] = [:]
            combined = zip(combined, next).map { a, b in
                let pair = Int64(a) << 32 | Int64(UInt32(bitPattern: b))
                if let id = pairs[pair] { return id }
                let id = Int32(pairs.count)
                pairs[pair] = id
                return id
            }
        }
        // Ids from the last step are already in order of first appearance.
        var firstRows: [Int] = []
        var seen = 0
        for (row, group) in combined.enumerated() where Int(group) == seen {
            firstRows.append(row)
            seen += 1
        }
        groups = combined
        self.firstRows = firstRows
    }

    /// Ids 0, 1, … per distinct value in order of first appearance; null is a value of its own.
    private static func denseIDs(_ column: Column) throws -> [Int32] {
        func dense<T: Hashable>(_ value: (Int) -> T) -> [Int32] {
            var ids: [T: Int32] = [:]
            var nullID: Int32?
            var next: Int32 = 0
            return (0..<column.count).map { row in
                if column.isNull(row) {
                    if let nullID { return nullID }
                    nullID = next
                    next += 1
                    return nullID!
                }
                let key = value(row)
                if let id = ids[key] { return id }
                ids[key] = next
                next += 1
                return next - 1
            }
        }
        switch column.storage {
        case .int32(let values), .date(let values): return dense { values[$0] }
        case .int64(let values), .timestamp(let values): return dense { values[$0] }
        case .float(let values): return dense { values[$0] }
        case .double(let values): return dense { values[$0] }
        case .bool(let values): return dense { values[$0] }
        case .categorical(let codes, _): return dense { codes[$0] }
        case .string(let strings): return dense { strings.bytes[strings.range($0)] }
        }
    }
}
