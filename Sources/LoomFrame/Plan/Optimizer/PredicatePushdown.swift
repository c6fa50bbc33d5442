/// Predicate pushdown: a filter straight after a Parquet read skips the row groups whose
/// min/max statistics show no row can pass. The filter still runs on the rows that are read.
extension FramePlan {
    func pushingPredicates() throws -> FramePlan {
        switch self {
        case .map(.files(var scan), let steps):
            // Filters before any step that changes a column they read.
            var predicates: [ColumnExpression] = []
            var changed = Set<String>()
            for step in steps {
                switch step {
                case .filter(let predicate) where changed.isDisjoint(with: predicate.columnsUsed): predicates.append(predicate)
                case .filter, .select, .drop: continue
                case .assign(let name, _): changed.insert(name)
                case .rename(let names): changed.formUnion(names.keys); changed.formUnion(names.values)
                }
            }
            guard let combined = predicates.reduce(nil, { (sum: ColumnExpression?, next) in sum.map { .and($0, next) } ?? next }) else { return self }
            let kept = scan.sources.filter { source in
                guard case .parquet(let piece) = source else { return true }
                return combined.mayMatch { piece.bounds(of: $0) }
            }
            guard kept.count < scan.sources.count, !kept.isEmpty else { return self }
            scan.skipped += scan.sources.count - kept.count
            scan.skippedBy = combined
            scan.sources = kept
            return .map(.files(scan), steps)
        case .tables, .files, .persisted, .computed: return self
        case .mapPartitions(let input, let function, let schema): return .mapPartitions(try input.pushingPredicates(), function, schema)
        case .repartition(let input, let count): return .repartition(try input.pushingPredicates(), count: count)
        case .map(let input, let steps): return .map(try input.pushingPredicates(), steps)
        case .groupBy(let input, let plan, let splitEvery): return .groupBy(try input.pushingPredicates(), plan, splitEvery: splitEvery)
        case .merge(let left, let right, let spec): return .merge(try left.pushingPredicates(), try right.pushingPredicates(), spec)
        case .picked(let input, let index): return .picked(try input.pushingPredicates(), index)
        case .sort(let input, let spec): return .sort(try input.pushingPredicates(), spec)
        case .top(let input, let spec, let count): return .top(try input.pushingPredicates(), spec, count: count)
        case .distinct(let input, let subset, let splitEvery): return .distinct(try input.pushingPredicates(), subset: subset, splitEvery: splitEvery)
        }
    }
}

extension ColumnExpression {
    /// Whether some row whose columns lie within `bounds` (min, max; nil when unknown) may
    /// satisfy this predicate. Unsure is yes: only a certain no skips anything.
    func mayMatch(_ bounds: (String) -> (min: Scalar, max: Scalar)?) -> Bool {
        switch self {
        case .and(let left, let right): return left.mayMatch(bounds) && right.mayMatch(bounds)
        case .or(let left, let right): return left.mayMatch(bounds) || right.mayMatch(bounds)
        case .comparison(let op, .column(let name), .literal(let value?)):
            return Self.mayCompare(op, bounds(name), value)
        case .comparison(let op, .literal(let value?), .column(let name)):
            return Self.mayCompare(op.flipped, bounds(name), value)
        case .between(.column(let name), let low, let high):
            guard let range = bounds(name), let above = range.max.order(low), let below = range.min.order(high) else { return true }
            return above >= 0 && below <= 0
        case .isIn(.column(let name), let values):
            guard let range = bounds(name) else { return true }
            return values.contains { value in
                guard let low = range.min.order(value), let high = range.max.order(value) else { return true }
                return low <= 0 && high >= 0
            }
        default: return true
        }
    }

    private static func mayCompare(_ op: ComparisonOperator, _ range: (min: Scalar, max: Scalar)?, _ value: Scalar) -> Bool {
        guard let range, let low = range.min.order(value), let high = range.max.order(value) else { return true }
        switch op {
        case .equal: return low <= 0 && high >= 0
        // NaNs are not in the statistics, and a NaN is != everything.
        case .notEqual: return true
        case .less: return low < 0
        case .lessOrEqual: return low <= 0
        case .greater: return high > 0
        case .greaterOrEqual: return high >= 0
        }
    }
}

extension Scalar {
    /// Negative, zero or positive as this is below, equal to or above `other`; nil when the
    /// two cannot be compared (a string with a number).
    func order(_ other: Scalar) -> Int? {
        func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : a > b ? 1 : 0 }
        switch (self, other) {
        case (.int(let a), .int(let b)): return sign(a, b)
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8) ? 0 : a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
        case (.bool(let a), .bool(let b)): return sign(a ? 1 : 0, b ? 1 : 0)
        case (.timestamp(let a), .timestamp(let b)): return sign(a, b)
        case (.date(let a), .date(let b)): return sign(a, b)
        default:
            guard let a = asDouble, let b = other.asDouble else { return nil }
            return sign(a, b)
        }
    }
}
