import LoomCore

/// Rows to buckets by a hash of their key values — the same on both sides of a merge and in
/// every partition, so equal keys meet in one bucket whatever table they came from.
extension Table {
    /// The bucket of each row, of `count`, with the keys compared as `types` (a merge's key types).
    func buckets(of keys: [String], as types: [DataType], count: Int) throws -> [Int] {
        var hashes = [UInt64](repeating: 0, count: rowCount)
        for (key, type) in zip(keys, types) {
            let column = try self[key].cast(to: type)
            let validity = column.validity
            @inline(__always) func combine(_ row: Int, _ hash: UInt64) {
                hashes[row] = KeyHash.mix(hashes[row] ^ (validity.map { $0.isValid(row) } ?? true ? hash : 0))
            }
            switch column.storage {
            case .int32(let values), .date(let values): for row in values.indices { combine(row, KeyHash.mix(UInt64(bitPattern: Int64(values[row])))) }
            case .int64(let values), .timestamp(let values): for row in values.indices { combine(row, KeyHash.mix(UInt64(bitPattern: values[row]))) }
            case .float(let values): for row in values.indices { combine(row, KeyHash.mix((values[row] == 0 ? 0 : Double(values[row])).bitPattern)) }
            case .double(let values): for row in values.indices { combine(row, KeyHash.mix((values[row] == 0 ? 0 : values[row]).bitPattern)) }
            case .bool(let values): for row in values.indices { combine(row, KeyHash.mix(values[row] ? 1 : 0)) }
            case .string(let strings):
                strings.bytes.withUnsafeBufferPointer { bytes in
                    let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                    for row in 0..<strings.count {
                        let range = strings.range(row)
                        combine(row, KeyHash.bytes(base + range.lowerBound, range.count))
                    }
                }
            case .categorical:
                throw LoomError(.typeMismatch, "merge keys are compared as strings, not categories")
            }
        }
        return hashes.map { Int($0 % UInt64(count)) }
    }

    /// The rows of each bucket, as `count` tables (in row order within each).
    func split(byHashOf keys: [String], as types: [DataType], into count: Int) throws -> [Table] {
        let buckets = try buckets(of: keys, as: types, count: count)
        var rows = [[Int]](repeating: [], count: count)
        for (row, bucket) in buckets.enumerated() { rows[bucket].append(row) }
        return rows.map { take($0) }
    }
}
