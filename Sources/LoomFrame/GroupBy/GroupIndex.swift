import LoomCore

/// Which group each row of a table falls in, by the values of its key columns: groups are
/// numbered in order of first appearance. Each key column is first turned into dense ids, then
/// the ids of several columns are combined pairwise, so no whole row is ever hashed.
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
        var (combined, count) = Self.denseIDs(try table[keys[0]])
        for key in keys.dropFirst() {
            let (next, nextCount) = Self.denseIDs(try table[key])
            (combined, count) = Self.pairIDs(combined, count, next, nextCount)
        }
        // Ids from the last step are already in order of first appearance.
        var firstRows = [Int](repeating: 0, count: count)
        var seen = 0
        for (row, group) in combined.enumerated() where Int(group) == seen {
            firstRows[seen] = row
            seen += 1
        }
        groups = combined
        self.firstRows = firstRows
    }

    /// Ids 0, 1, … per distinct value in order of first appearance, and how many; null is a
    /// value of its own. Integers in a range no wider than the rows index a table directly;
    /// others, and strings of at most 16 bytes, are held in the hash table's slots.
    private static func denseIDs(_ column: Column) -> ([Int32], Int) {
        let dense: ([Int32], Int)
        switch column.storage {
        case .int32(let values), .date(let values): dense = integers(values)
        case .int64(let values), .timestamp(let values): dense = integers(values)
        case .bool(let values): dense = direct(values.count, range: 2) { values[$0] ? 1 : 0 }
        case .categorical(let codes, _): dense = integers(codes)
        // -0.0 groups with 0.0 and every NaN with every other.
        case .float(let values): dense = inline(values.count) { UInt64(values[$0] == 0 ? 0 : values[$0].isNaN ? Float.nan.bitPattern : values[$0].bitPattern) }
        case .double(let values): dense = inline(values.count) { values[$0] == 0 ? 0 : values[$0].isNaN ? Double.nan.bitPattern : values[$0].bitPattern }
        case .string(let strings): dense = Self.strings(strings)
        }
        guard column.nullCount > 0 else { return dense }
        // Nulls form one group, numbered where the first null appears.
        var renumbered = [Int32](repeating: 0, count: column.count)
        var next: Int32 = 0
        var nullID: Int32?
        var seen = [Int32](repeating: -1, count: dense.1)
        for row in 0..<column.count {
            if column.isNull(row) {
                if nullID == nil { nullID = next; next += 1 }
                renumbered[row] = nullID!
            } else {
                let id = Int(dense.0[row])
                if seen[id] < 0 { seen[id] = next; next += 1 }
                renumbered[row] = seen[id]
            }
        }
        return (renumbered, Int(next))
    }

    private static func integers<T: FixedWidthInteger>(_ values: [T]) -> ([Int32], Int) {
        guard let low = values.min(), let high = values.max() else { return ([], 0) }
        let (width, overflow) = Int64(high).subtractingReportingOverflow(Int64(low))
        if !overflow, width < Int64(max(2 * values.count, 1 << 16)) {
            let base = Int64(low)
            return values.withUnsafeBufferPointer { values in
                direct(values.count, range: Int(width) + 1) { Int(Int64(values[$0]) - base) }
            }
        }
        return values.withUnsafeBufferPointer { values in
            inline(values.count) { UInt64(truncatingIfNeeded: values[$0]) }
        }
    }

    /// Ids of the (left, right) pairs: a table indexed by pair where there are no more pairs
    /// than rows, a hash of the pair otherwise.
    private static func pairIDs(_ left: [Int32], _ leftCount: Int, _ right: [Int32], _ rightCount: Int) -> ([Int32], Int) {
        left.withUnsafeBufferPointer { left in
            right.withUnsafeBufferPointer { right in
                let (pairs, overflow) = leftCount.multipliedReportingOverflow(by: rightCount)
                if !overflow, pairs <= max(2 * left.count, 1 << 16) {
                    return direct(left.count, range: pairs) { Int(left[$0]) * rightCount + Int(right[$0]) }
                }
                return inline(left.count) { UInt64(UInt32(bitPattern: left[$0])) << 32 | UInt64(UInt32(bitPattern: right[$0])) }
            }
        }
    }

    /// Ids by first appearance of `value(row)`, each in `0..<range`, through a table indexed by it.
    @inline(__always)
    private static func direct(_ rows: Int, range: Int, _ value: (Int) -> Int) -> ([Int32], Int) {
        var table = [Int32](repeating: -1, count: range)
        var next: Int32 = 0
        let ids = [Int32](unsafeUninitializedCapacity: rows) { ids, initialized in
            table.withUnsafeMutableBufferPointer { table in
                for row in 0..<rows {
                    let slot = value(row)
                    var id = table[slot]
                    if id < 0 { id = next; table[slot] = id; next += 1 }
                    ids[row] = id
                }
            }
            initialized = rows
        }
        return (ids, Int(next))
    }

    @inline(__always)
    private static func inline<Key: InlineKey>(_ rows: Int, _ key: (Int) -> Key) -> ([Int32], Int) {
        var table = InlineKeyIDs<Key>(expected: 1024)
        let ids = [Int32](unsafeUninitializedCapacity: rows) { ids, initialized in
            for row in 0..<rows { ids[row] = table.id(key(row)) }
            initialized = rows
        }
        return (ids, table.count)
    }

    private static func strings(_ strings: StringStorage) -> ([Int32], Int) {
        strings.offsets.withUnsafeBufferPointer { offsets in
            strings.bytes.withUnsafeBufferPointer { bytes in
                let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                let total = bytes.count
                var longest = 0
                for row in 0..<strings.count { longest = max(longest, Int(offsets[row + 1] &- offsets[row])) }
                if longest <= ShortString.maximumLength {
                    return inline(strings.count) { row in
                        let start = Int(offsets[row])
                        return ShortString(base + start, length: Int(offsets[row + 1]) - start, available: total - start)
                    }
                }
                var dense = Densifier(rows: strings.count)
                for row in 0..<strings.count {
                    let start = Int(offsets[row]), count = Int(offsets[row + 1]) - start
                    dense.assign(row, KeyHash.bytes(base + start, count)) { other in
                        let otherStart = Int(offsets[other])
                        return Int(offsets[other + 1]) - otherStart == count && KeyHash.equal(base + start, base + otherStart, count)
                    }
                }
                return (dense.result, dense.ids.count)
            }
        }
    }
}

/// Ids for one column's rows: the table (each id's first row stands for its key) and each
/// row's id. A struct's own fields, so the loops touch no captured variables (whose every
/// access Swift checks for exclusivity at run time).
private struct Densifier {
    var ids = DenseIDTable(expected: 1024)
    var result: [Int32]

    init(rows: Int) { result = [Int32](repeating: 0, count: rows) }

    @inline(__always)
    mutating func assign(_ row: Int, _ hash: UInt64, _ equal: (Int) -> Bool) {
        result[row] = ids.id(hash: hash, representative: row, equal: equal)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
