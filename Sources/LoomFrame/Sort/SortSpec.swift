import LoomCore

/// A distributed sort, as Dask's `sort_values` and `set_index` do it: each partition gives a
/// sample of its keys, the samples' quantiles become boundaries between output partitions,
/// every partition is cut by those boundaries, and each output partition sorts its pieces.
public struct SortSpec: Sendable, Hashable, Codable {
    var keys: [String]
    var ascending: [Bool]
    /// Rows each partition contributes to the sample (evenly spaced through it).
    var samplePerPartition = 1000

    /// `v3 descending, id1`
    var describedKeys: String {
        zip(keys, ascending).map { $1 ? $0 : "\($0) descending" }.joined(separator: ", ")
    }

    /// Up to `samplePerPartition` rows of `table`'s keys, evenly spaced.
    func sample(_ table: Table) throws -> Table {
        let keyed = try table.select(keys)
        guard keyed.rowCount > samplePerPartition else { return keyed }
        return keyed.take((0..<samplePerPartition).map { $0 * keyed.rowCount / samplePerPartition })
    }

    /// The keys that divide `parts` output partitions: `parts - 1` rows of the sorted samples
    /// at evenly spaced quantiles.
    func boundaries(_ samples: [Table], parts: Int) throws -> Table {
        let all = try Table.concatenate(samples).sorted(by: keys, ascending: ascending)
        guard parts > 1, all.rowCount > 0 else { return all.head(0) }
        return all.take((1..<parts).map { Swift.min(all.rowCount - 1, $0 * all.rowCount / parts) })
    }

    /// `table` cut into one piece per output partition: a row goes after every boundary that
    /// sorts before or with it.
    func split(_ table: Table, by boundaries: Table) throws -> [Table] {
        let parts = boundaries.rowCount + 1
        guard parts > 1 else { return [table] }
        // The rows and the boundaries in one table, so one comparator compares across them.
        let keyed = try Table.concatenate([try table.select(keys), boundaries])
        let comparators = try keyed.comparators(keys, ascending: ascending)
        func order(_ row: Int, _ boundary: Int) -> Int {
            for compare in comparators {
                let order = compare(row, table.rowCount + boundary)
                if order != 0 { return order }
            }
            return 0
        }
        var rows = [[Int]](repeating: [], count: parts)
        for row in 0..<table.rowCount {
            // The first boundary that sorts after the row.
            var low = 0, high = boundaries.rowCount
            while low < high {
                let middle = (low + high) / 2
                if order(row, middle) >= 0 { low = middle + 1 } else { high = middle }
            }
            rows[low].append(row)
        }
        return rows.map { table.take($0) }
    }

    func sortPieces(_ pieces: [Table]) throws -> Table {
        try Table.concatenate(pieces).sorted(by: keys, ascending: ascending)
    }
}
