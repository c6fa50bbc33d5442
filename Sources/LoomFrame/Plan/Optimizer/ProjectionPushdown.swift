/// Projection pushdown: the readers decode only the columns something above them uses (a
/// Parquet column not read costs no I/O; a CSV column not kept costs no parsing).
extension FramePlan {
    /// The plan with every file scan keeping only what `needed` (nil: every column) and the
    /// steps above it use.
    func projected(_ needed: Set<String>?) throws -> FramePlan {
        switch self {
        case .tables, .persisted, .computed: return self
        // Arbitrary code may read any column.
        case .mapPartitions(let input, let function, let schema): return .mapPartitions(try input.projected(nil), function, schema)
        case .repartition(let input, let count): return .repartition(try input.projected(needed), count: count)
        case .files(let scan): return .files(scan.keeping(needed))
        case .map(let input, let steps):
            let before = steps.reversed().reduce(needed) { needed, step in step.columnsNeeded(after: needed) }
            return .map(try input.projected(before), steps)
        case .groupBy(let input, let plan, let splitEvery):
            return .groupBy(try input.projected(Set(plan.keys + plan.aggregations.compactMap(\.column))), plan, splitEvery: splitEvery)
        case .merge(let left, let right, let spec):
            // Output names carry suffixes: both sides keep what they have.
            return .merge(try left.projected(nil), try right.projected(nil), spec)
        case .picked(let input, let index): return .picked(try input.projected(needed), index)
        // The rows' order and identity depend on the keys (every column, for a distinct of all).
        case .sort(let input, let spec): return .sort(try input.projected(needed?.union(spec.keys)), spec)
        case .top(let input, let spec, let count): return .top(try input.projected(needed?.union(spec.keys)), spec, count: count)
        case .distinct(let input, let subset, let splitEvery):
            let kept = subset.flatMap { subset in needed?.union(subset) }
            return .distinct(try input.projected(kept), subset: subset, splitEvery: splitEvery)
        }
    }
}

extension PartitionStep {
    /// The columns the step's input must have for its output to have `needed` (nil: all).
    func columnsNeeded(after needed: Set<String>?) -> Set<String>? {
        switch self {
        case .filter(let predicate): return needed?.union(predicate.columnsUsed)
        case .assign(let name, let expression):
            guard var needed else { return nil }
            needed.remove(name)
            return needed.union(expression.columnsUsed)
        // A select or drop fails on a missing name: its names stay.
        case .select(let names): return Set(names)
        case .drop(let names): return needed?.union(names)
        case .rename(let names):
            guard let needed else { return nil }
            let original = Dictionary(names.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
            return Set(needed.map { original[$0] ?? $0 }).union(names.keys)
        }
    }
}

extension FileScan {
    /// The scan reading only `needed` of its columns (at least one, so rows are still counted).
    func keeping(_ needed: Set<String>?) -> FileScan {
        guard let needed else { return self }
        var kept = schema.names.filter { needed.contains($0) }
        if kept.isEmpty, let first = schema.names.first { kept = [first] }
        guard kept.count < schema.fields.count else { return self }
        var scan = self
        scan.sources = sources.map { $0.keeping(kept) }
        return scan
    }
}

extension PartitionSource {
    func keeping(_ names: [String]) -> PartitionSource {
        switch self {
        case .csv(var block):
            block.columns = names
            return .csv(block)
        case .parquet(var piece):
            piece.columns = piece.columns.filter { names.contains($0.descriptor.name) }
            return .parquet(piece)
        }
    }
}
