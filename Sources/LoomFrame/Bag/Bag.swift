import LoomCore
import LoomLocal

/// A lazy, partitioned collection of `Codable` values (Dask's `dask.bag`): text lines, records,
/// anything a list holds. Operations build tasks, one per partition; `compute()` runs them on
/// threads by default, on any local scheduler, or on a cluster (`compute(on: client)`).
///
/// ```swift
/// static let words = BagFlatMap("words") { (line: String) in line.split(separator: " ").map(String.init) }
/// let top = try await Bag.readText("logs/*.txt").flatMap(words).frequencies().topK(10).compute()
/// ```
/// Functions are registered task functions (`BagMap`, `BagFilter`, `BagFlatMap`, `BagFold`,
/// `BagKey`, `BagFoldBy`); the closure forms run on the synchronous and threads schedulers only.
public struct Bag<Element: Codable & Sendable>: Sendable {
    /// Each partition's elements (`[Element]`): a list in memory or the task computing it.
    let partitions: [NodeInput]
    /// How the partitions were made, where that lets a text pipeline run in fewer tasks.
    let lineage: BagLineage

    init(partitions: [NodeInput], lineage: BagLineage = BagLineage()) {
        self.partitions = partitions
        self.lineage = lineage
    }

    public var partitionCount: Int { partitions.count }

    /// `elements` cut into `partitions` of nearly equal size (Dask's `from_sequence`).
    public static func fromSequence(_ elements: some Sequence<Element>, partitions: Int = 8) throws -> Bag {
        guard partitions >= 1 else { throw LoomError(.invalidArgument, "a bag needs at least one partition, not \(partitions)") }
        let all = Array(elements)
        let count = Swift.max(1, Swift.min(partitions, all.count))
        return Bag(partitions: (0..<count).map { .literal(Array(all[all.count * $0 / count..<all.count * ($0 + 1) / count])) })
    }

    /// A task per partition: `function` of the partition, then `inputs` after it.
    func applying<Result>(_ function: AnyTaskFunction, _ name: String, before inputs: [NodeInput] = [], after: [NodeInput] = []) -> Bag<Result> {
        Bag<Result>(partitions: partitions.map { Self.task(function, name, inputs + [$0] + after) })
    }

    static func task(_ function: AnyTaskFunction, _ name: String, _ inputs: [NodeInput]) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs))
    }

    // MARK: Element by element

    public func map<Result>(_ function: BagMap<Element, Result>) -> Bag<Result> { step(function.erased, "map", function.countingText) }
    public func filter(_ function: BagFilter<Element>) -> Bag<Element> { step(function.erased, "filter", function.countingText) }
    public func flatMap<Result>(_ function: BagFlatMap<Element, Result>) -> Bag<Result> { step(function.erased, "flat-map", function.countingText) }

    private func step<Result>(_ function: AnyTaskFunction, _ name: String, _ countingText: AnyTaskFunction?) -> Bag<Result> {
        let counting = countingText.map { (function: $0, leaves: partitions.map { [$0] }) }
        return Bag<Result>(partitions: (applying(function, name) as Bag<Result>).partitions, lineage: BagLineage(counting: counting))
    }

    public func map<Result>(name: String = "map", _ body: @escaping @Sendable (Element) throws -> Result) -> Bag<Result> {
        map(BagMap(name, local: true, body))
    }

    public func filter(name: String = "filter", _ body: @escaping @Sendable (Element) throws -> Bool) -> Bag<Element> {
        filter(BagFilter(name, local: true, body))
    }

    public func flatMap<Result>(name: String = "flat-map", _ body: @escaping @Sendable (Element) throws -> [Result]) -> Bag<Result> {
        flatMap(BagFlatMap(name, local: true, body))
    }

    /// A registered function of a whole partition (Dask's `map_partitions`).
    public func mapPartitions<Result>(_ function: TaskFunction<[Element], [Result]>) -> Bag<Result> { applying(function.erased, function.name) }

    // MARK: Computing

    /// Every element, in partition order.
    public func compute(scheduler: Scheduler? = nil) async throws -> [Element] {
        try Self.joined(try await PartitionValues.of(partitions, scheduler: scheduler))
    }

    public func compute(on runner: any GraphRunner) async throws -> [Element] {
        try Self.joined(try await PartitionValues.of(partitions, on: runner))
    }

    private static func joined(_ values: [any Sendable]) throws -> [Element] {
        try values.enumerated().flatMap { index, value -> [Element] in
            guard let elements = value as? [Element] else {
                throw LoomError(.typeMismatch, "bag partition \(index) came back as \(type(of: value)), not [\(Element.self)]")
            }
            return elements
        }
    }

    /// The first `count` elements, from the first partitions only.
    public func take(_ count: Int, scheduler: Scheduler? = nil) async throws -> [Element] {
        var taken: [Element] = []
        for partition in partitions where taken.count < count {
            taken += try Self.joined(try await PartitionValues.of([partition], scheduler: scheduler)).prefix(count - taken.count)
        }
        return taken
    }
}

/// What the planner knows of how a bag's partitions were made, beyond their tasks: enough to
/// fuse the steps of a word count into one task a partition.
struct BagLineage: Sendable {
    /// `frequencies` of the bag as one task per leaf: the function, and each leaf's inputs.
    var counting: (function: AnyTaskFunction, leaves: [[NodeInput]])?
    /// The bag is `readText`'s lines of these blocks, a partition each.
    var textBlocks: [TextBlock]?
    /// The bag is `str.split`'s words of each of `lines`' elements: `flatten()` of it counts
    /// words as they are split, and of the lines of `blocks`, straight from the file's bytes.
    var split: (split: TextSplit, lines: [NodeInput], blocks: [TextBlock]?)?
}
