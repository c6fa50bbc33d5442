import LoomCore
import LoomLocal

/// One value a bag reduces to (Dask's `Item`): lazy until computed.
public struct BagItem<Value: Sendable>: Sendable {
    let input: NodeInput

    public func compute(scheduler: Scheduler? = nil) async throws -> Value {
        try Self.value(try await PartitionValues.of([input], scheduler: scheduler)[0])
    }

    public func compute(on runner: any GraphRunner) async throws -> Value {
        try Self.value(try await PartitionValues.of([input], on: runner)[0])
    }

    private static func value(_ result: any Sendable) throws -> Value {
        guard let value = result as? Value else { throw LoomError(.typeMismatch, "a bag's result came back as \(type(of: result)), not \(Value.self)") }
        return value
    }
}

/// Reductions, as trees: each partition reduces alone, then `splitEvery` results at a time.
extension Bag {
    /// Dask's `fold`: the elements combined by an associative function with its identity.
    public func fold(_ function: BagFold<Element>, splitEvery: Int = 8) throws -> BagItem<Element> {
        BagItem(input: try FramePlan.tree(partitions, width: splitEvery, leaf: { Self.task(function.erased, "fold", [$0]) }) { parts in
            Self.task(function.erased, "fold", [.list(parts)])
        })
    }

    public func fold(initial: Element, name: String = "fold", _ combine: @escaping @Sendable (Element, Element) throws -> Element) throws -> BagItem<Element> {
        try fold(BagFold(name, local: true, initial: initial, combine))
    }

    /// Dask's `reduction`: `perPartition` of each partition, then `aggregate` of their results.
    public func reduction<Partial, Result>(perPartition: TaskFunction<[Element], Partial>, aggregate: TaskFunction<[Partial], Result>) -> BagItem<Result> {
        let partials = partitions.map { Self.task(perPartition.erased, perPartition.name, [$0]) }
        return BagItem(input: Self.task(aggregate.erased, aggregate.name, [.list(partials)]))
    }

    /// The number of elements (only counts travel).
    public func count() -> BagItem<Int> {
        let counts = partitions.map { Self.task(BagKernels<Element>.shared.count.erased, "bag-count", [$0]) }
        return BagItem(input: Self.task(BagSources.sum.erased, "bag-count-sum", [.list(counts)]))
    }

    /// Dask's `foldby`: one pair per key, its elements' values folded, in one partition.
    public func foldBy<Key, Value>(_ function: BagFoldBy<Element, Key, Value>, splitEvery: Int = 8) throws -> Bag<BagPair<Key, Value>> {
        Bag<BagPair<Key, Value>>(partitions: [try FramePlan.tree(partitions, width: splitEvery, leaf: { Self.task(function.erased, "fold-by", [$0]) }) { parts in
            Self.task(function.combining, "fold-by-combine", [.list(parts)])
        }])
    }

    /// Dask's `groupby`, by a shuffle: every element goes to the bucket of its key's hash
    /// (`partitions` buckets, as many as this bag has by default), and each bucket groups its
    /// elements. One group per key, in `partitions` partitions.
    public func groupBy<Key>(_ key: BagKey<Element, Key>, partitions count: Int? = nil) -> Bag<BagGroup<Key, Element>> {
        let buckets = Swift.max(1, count ?? partitions.count)
        let splits = partitions.map { Self.task(key.erased, "group-split", [$0, .literal(buckets)]) }
        let pick = BagKernels<Element>.shared.pick.erased
        return Bag<BagGroup<Key, Element>>(partitions: (0..<buckets).map { bucket in
            Self.task(key.grouping, "group", [.list(splits.map { Self.task(pick, "pick", [.literal(bucket), $0]) })])
        })
    }

    public func groupBy<Key>(name: String = "group-by", partitions count: Int? = nil, _ key: @escaping @Sendable (Element) throws -> Key) -> Bag<BagGroup<Key, Element>> {
        groupBy(BagKey(name, local: true, key), partitions: count)
    }
}

extension Bag where Element: Hashable {
    /// How often each element occurs, in order of first appearance, in one partition.
    public func frequencies(splitEvery: Int = 8) throws -> Bag<Frequency<Element>> {
        let kernels = HashableBagKernels<Element>.shared
        // Text from a step over other partitions: counted as the step makes it.
        let (counting, leaves) = lineage.counting ?? (kernels.frequencies.erased, partitions.map { [$0] })
        let counts = leaves.map { Self.task(counting, "frequencies", $0) }
        return Bag<Frequency<Element>>(partitions: [try FramePlan.tree(counts, width: splitEvery, leaf: { $0 }) { parts in
            Self.task(kernels.mergeFrequencies.erased, "frequencies-merge", [.list(parts)])
        }])
    }

    /// Each element once, in order of first appearance, in one partition.
    public func distinct(splitEvery: Int = 8) throws -> Bag<Element> {
        let distinct = HashableBagKernels<Element>.shared.distinct.erased
        return Bag(partitions: [try FramePlan.tree(partitions, width: splitEvery, leaf: { Self.task(distinct, "distinct", [.list([$0])]) }) { parts in
            Self.task(distinct, "distinct", [.list(parts)])
        }])
    }
}

extension Bag where Element: Comparable {
    /// The `count` largest elements, largest first (of frequencies: the most frequent), in one
    /// partition.
    public func topK(_ count: Int, splitEvery: Int = 8) throws -> Bag<Element> {
        let top = ComparableBagKernels<Element>.shared.top.erased
        return Bag(partitions: [try FramePlan.tree(partitions, width: splitEvery, leaf: { Self.task(top, "top-k", [.literal(count), .list([$0])]) }) { parts in
            Self.task(top, "top-k", [.literal(count), .list(parts)])
        }])
    }
}
