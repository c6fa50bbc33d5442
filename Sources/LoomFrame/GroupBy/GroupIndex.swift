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
            var ids = DenseIDTable(expected: 1024)
            for row in combined.indices {
                let pair = Int(combined[row]) << 32 | Int(UInt32(bitPattern: next[row]))
                combined[row] = ids.id(hash: KeyHash.mix(UInt64(bitPattern: Int64(pair))), representative: pair) { $0 == pair }
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
        var dense = Densifier(rows: column.count)
        let validity = column.validity
        @inline(__always) func isNull(_ row: Int) -> Bool { validity.map { !$0.isValid(row) } ?? false }
        func numbers<T: BinaryInteger>(_ values: [T]) {
            values.withUnsafeBufferPointer { values in
                for row in 0..<values.count where !isNull(row) {
                    let value = values[row]
                    dense.assign(row, KeyHash.mix(UInt64(truncatingIfNeeded: value))) { values[$0] == value }
                }
            }
        }
        func floats<T: BinaryFloatingPoint>(_ values: [T], bits: (T) -> UInt64) {
            for row in 0..<values.count where !isNull(row) {
                let value = values[row] == 0 ? 0 : values[row]  // -0.0 groups with 0.0
                dense.assign(row, KeyHash.mix(bits(value))) { values[$0] == value || (values[$0].isNaN && value.isNaN) }
            }
        }
        switch column.storage {
        case .int32(let values), .date(let values): numbers(values)
        case .int64(let values), .timestamp(let values): numbers(values)
        case .float(let values): floats(values) { UInt64($0.bitPattern) }
        case .double(let values): floats(values) { $0.bitPattern }
        case .bool(let values): numbers(values.map { $0 ? UInt8(1) : 0 })
        case .categorical(let codes, _): numbers(codes)
        case .string(let strings):
            strings.offsets.withUnsafeBufferPointer { offsets in
                strings.bytes.withUnsafeBufferPointer { bytes in
                    let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                    for row in 0..<strings.count where !isNull(row) {
                        let start = Int(offsets[row]), count = Int(offsets[row + 1]) - start
                        dense.assign(row, KeyHash.bytes(base + start, count)) { other in
                            let otherStart = Int(offsets[other])
                            return Int(offsets[other + 1]) - otherStart == count && KeyHash.equal(base + start, base + otherStart, count)
                        }
                    }
                }
            }
        }
        let (ids, result) = (dense.ids, dense.result)
        var nullID: Int32?
        // Nulls form one group, numbered where the first null appears.
        if column.nullCount > 0 {
            var renumbered = [Int32](repeating: 0, count: column.count)
            var next: Int32 = 0
            var seen = [Int32](repeating: -1, count: ids.count)
            for row in 0..<column.count {
                if column.isNull(row) {
                    if nullID == nil { nullID = next; next += 1 }
                    renumbered[row] = nullID!
                } else {
                    let id = Int(result[row])
                    if seen[id] < 0 { seen[id] = next; next += 1 }
                    renumbered[row] = seen[id]
                }
            }
            return renumbered
        }
        return result
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
