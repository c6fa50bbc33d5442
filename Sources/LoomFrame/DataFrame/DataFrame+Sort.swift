import LoomCore

/// Ordering across partitions, as Dask's `sort_values`, `set_index`, `nlargest` and `nsmallest`.
extension DataFrame {
    /// The rows in the order of `keys` across partitions: boundaries from a sample of each
    /// partition's keys, a shuffle of rows into ranges, then each range sorted (stable, nulls
    /// last). Partition i's rows all come before partition i + 1's.
    public func sortValues(_ keys: String..., ascending: Bool = true) -> DataFrame {
        sortValues(keys, ascending: keys.map { _ in ascending })
    }

    public func sortValues(_ keys: [String], ascending: [Bool]) -> DataFrame {
        DataFrame(plan: .sort(plan, SortSpec(keys: keys, ascending: ascending)))
    }

    /// Sorted by `column`, which becomes the first column: what Dask's `set_index` gives, with
    /// the divisions (each partition's range of the column) following from the sort. Loom
    /// frames have no separate index: the column stays a column, and files written from the
    /// result are in its order.
    public func setIndex(_ column: String) -> DataFrame {
        let sorted = sortValues(column)
        guard let names = try? plan.schema().names else { return sorted }
        return sorted.select([column] + names.filter { $0 != column })
    }

    /// The `count` rows with the largest `column` values, largest first, in one partition
    /// (nulls never: pandas drops them too).
    public func nlargest(_ count: Int, _ column: String) -> DataFrame {
        DataFrame(plan: .top(plan.adding(.filter(col(column).notNull())), SortSpec(keys: [column], ascending: [false]), count: count))
    }

    /// The `count` rows with the smallest `column` values, smallest first.
    public func nsmallest(_ count: Int, _ column: String) -> DataFrame {
        DataFrame(plan: .top(plan.adding(.filter(col(column).notNull())), SortSpec(keys: [column], ascending: [true]), count: count))
    }
}
