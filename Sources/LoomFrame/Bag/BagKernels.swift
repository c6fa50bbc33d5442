import LoomCore
import Synchronization

/// The task functions that move a bag's elements without looking at them — joining, cutting,
/// counting, shuffling — one set per element type, named by it (`bag.concat<Swift.String>`).
/// Loom registers the sets of its own types (`BagKernels.builtIn`); a bag of your own type on
/// processes or a cluster needs `Loom.bootstrap(registering: BagKernels<MyType>.shared.all)`.
public final class BagKernels<Element: Codable & Sendable>: Sendable {
    let concatenate: TaskFunction<[[Element]], [Element]>
    let take: TaskFunction<Int, [[Element]], [Element]>
    let count: TaskFunction<[Element], Int>
    let cut: TaskFunction<Int, [Element], [[Element]]>
    /// Elements into buckets by the bucket numbers a `BagKey` gave them.
    let split: TaskFunction<[Element], [Int], Int, [[Element]]>
    let pick: TaskFunction<Int, [[Element]], [Element]>

    public var all: [any TaskFunctionRepresentable] { [concatenate, take, count, cut, split, pick] }

    private init() {
        let type = String(reflecting: Element.self)
        concatenate = TaskFunction("bag.concat<\(type)>") { (parts: [[Element]]) in Array(parts.joined()) }
        take = TaskFunction("bag.take<\(type)>") { (count: Int, parts: [[Element]]) in Array(parts.joined().prefix(count)) }
        count = TaskFunction("bag.count<\(type)>") { (elements: [Element]) in elements.count }
        cut = TaskFunction("bag.cut<\(type)>") { (parts: Int, elements: [Element]) in
            (0..<parts).map { Array(elements[elements.count * $0 / parts..<elements.count * ($0 + 1) / parts]) }
        }
        split = TaskFunction("bag.split<\(type)>") { (elements: [Element], buckets: [Int], count: Int) in
            var pieces = [[Element]](repeating: [], count: count)
            for (element, bucket) in zip(elements, buckets) { pieces[bucket].append(element) }
            return pieces
        }
        pick = TaskFunction("bag.pick<\(type)>") { (index: Int, pieces: [[Element]]) in pieces[index] }
    }

    /// The one set for this element type (the registry refuses two functions of one name).
    public static var shared: BagKernels<Element> { KernelCache.instance(for: Element.self) { BagKernels() } }
}

/// Kernels for elements that can be counted and compared: `frequencies`, `distinct`, `topK`.
public final class HashableBagKernels<Element: Codable & Sendable & Hashable>: Sendable {
    let frequencies: TaskFunction<[Element], [Frequency<Element>]>
    let mergeFrequencies: TaskFunction<[[Frequency<Element>]], [Frequency<Element>]>
    let distinct: TaskFunction<[[Element]], [Element]>

    public var all: [any TaskFunctionRepresentable] { [frequencies, mergeFrequencies, distinct] }

    private init() {
        let type = String(reflecting: Element.self)
        frequencies = TaskFunction("bag.frequencies<\(type)>") { (elements: [Element]) in
            var counts: [Element: Int] = [:]
            var order: [Element] = []
            for element in elements {
                if counts[element] == nil { order.append(element) }
                counts[element, default: 0] += 1
            }
            return order.map { Frequency(value: $0, count: counts[$0]!) }
        }
        mergeFrequencies = TaskFunction("bag.merge-frequencies<\(type)>") { (parts: [[Frequency<Element>]]) in
            var counts: [Element: Int] = [:]
            var order: [Element] = []
            for frequency in parts.joined() {
                if counts[frequency.value] == nil { order.append(frequency.value) }
                counts[frequency.value, default: 0] += frequency.count
            }
            return order.map { Frequency(value: $0, count: counts[$0]!) }
        }
        distinct = TaskFunction("bag.distinct<\(type)>") { (parts: [[Element]]) in
            var seen = Set<Element>()
            return parts.joined().filter { seen.insert($0).inserted }
        }
    }

    public static var shared: HashableBagKernels<Element> { KernelCache.instance(for: Element.self) { HashableBagKernels() } }
}

public final class ComparableBagKernels<Element: Codable & Sendable & Comparable>: Sendable {
    /// The `count` largest of some partitions (or partial results), largest first.
    let top: TaskFunction<Int, [[Element]], [Element]>

    public var all: [any TaskFunctionRepresentable] { [top] }

    private init() {
        top = TaskFunction("bag.top<\(String(reflecting: Element.self))>") { (count: Int, parts: [[Element]]) in
            Array(parts.joined().sorted(by: >).prefix(count))
        }
    }

    public static var shared: ComparableBagKernels<Element> { KernelCache.instance(for: Element.self) { ComparableBagKernels() } }
}

/// A value and how often it occurs (`frequencies`): ordered by count, then by the value
/// reversed, so `topK` gives the most frequent first and ties alphabetically.
public struct Frequency<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var value: Value
    public var count: Int
}

extension Frequency: Comparable where Value: Comparable {
    public static func < (a: Frequency, b: Frequency) -> Bool {
        a.count != b.count ? a.count < b.count : a.value > b.value
    }
}

/// One kernel set per (set kind, element type), made on first use.
enum KernelCache {
    private static let sets = Mutex<[String: any Sendable]>([:])

    static func instance<T: Sendable>(for element: Any.Type, _ make: () -> T) -> T {
        let key = "\(T.self)"
        return sets.withLock { sets in
            if let existing = sets[key] as? T { return existing }
            let made = make()
            sets[key] = made
            return made
        }
    }
}

/// The kernel sets Loom registers for the element types it knows.
public enum BuiltInBagKernels {
    public static var all: [any TaskFunctionRepresentable] {
        BagKernels<String>.shared.all + BagKernels<Int>.shared.all + BagKernels<Int64>.shared.all + BagKernels<Double>.shared.all
            + BagKernels<[Scalar?]>.shared.all + BagKernels<Frequency<String>>.shared.all + BagKernels<Frequency<Int>>.shared.all
            + HashableBagKernels<String>.shared.all + HashableBagKernels<Int>.shared.all + HashableBagKernels<Int64>.shared.all
            + ComparableBagKernels<String>.shared.all + ComparableBagKernels<Int>.shared.all + ComparableBagKernels<Int64>.shared.all
            + ComparableBagKernels<Double>.shared.all + ComparableBagKernels<Frequency<String>>.shared.all
            + ComparableBagKernels<Frequency<Int>>.shared.all
    }
}
