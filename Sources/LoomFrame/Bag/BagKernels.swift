import LoomCore
import Synchronization

/// The task functions that handle a bag's elements without looking at them — counting them,
/// picking a shuffle's piece — one set per element type, named by it (`bag.count<Swift.String>`).
/// Loom registers the sets of its own types (`BuiltInBagKernels`); a bag of your own type on
/// processes or a cluster needs `Loom.bootstrap(registering: BagKernels<MyType>.shared.all)`.
public final class BagKernels<Element: Codable & Sendable>: Sendable {
    let count: TaskFunction<[Element], Int>
    let pick: TaskFunction<Int, [[Element]], [Element]>

    public var all: [any TaskFunctionRepresentable] { [count, pick] }

    private init() {
        let type = String(reflecting: Element.self)
        count = TaskFunction("bag.count<\(type)>") { (elements: [Element]) in elements.count }
        pick = TaskFunction("bag.pick<\(type)>") { (index: Int, pieces: [[Element]]) in pieces[index] }
    }

    /// The one set for this element type (the registry refuses two functions of one name).
    public static var shared: BagKernels<Element> { KernelCache.instance { BagKernels() } }
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
            Counting.frequencies(elements.lazy.map { ($0, 1) })
        }
        mergeFrequencies = TaskFunction("bag.merge-frequencies<\(type)>") { (parts: [[Frequency<Element>]]) in
            Counting.frequencies(parts.joined().lazy.map { ($0.value, $0.count) })
        }
        distinct = TaskFunction("bag.distinct<\(type)>") { (parts: [[Element]]) in
            var seen = Set<Element>()
            return parts.joined().filter { seen.insert($0).inserted }
        }
    }

    public static var shared: HashableBagKernels<Element> { KernelCache.instance { HashableBagKernels() } }
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

    public static var shared: ComparableBagKernels<Element> { KernelCache.instance { ComparableBagKernels() } }
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

/// Counts by value in order of first appearance, one hash lookup per element (a position
/// into the counts, not a read and a write of the dictionary).
enum Counting {
    static func frequencies<Value: Hashable>(_ counted: some Sequence<(Value, Int)>) -> [Frequency<Value>] {
        // Text, the common case, by its bytes: a multiply-and-shift hash instead of SipHash.
        if Value.self == String.self {
            var counter = TextCounter()
            for (value, count) in counted { counter.add(value as! String, count) }
            return counter.frequencies as! [Frequency<Value>]
        }
        var positions: [Value: Int] = [:]
        var values: [Value] = [], counts: [Int] = []
        for (value, count) in counted {
            if let position = positions[value] {
                counts[position] += count
            } else {
                positions[value] = values.count
                values.append(value)
                counts.append(count)
            }
        }
        return zip(values, counts).map { Frequency(value: $0, count: $1) }
    }
}

/// Counts of strings keyed by their UTF-8 bytes: the distinct strings back to back in one
/// buffer, an open-addressing table of ids over them.
struct TextCounter {
    private var ids = DenseIDTable(expected: 1024)
    private var distinct = StringStorage()
    private var counts: [Int] = []

    mutating func add(_ text: String, _ count: Int) {
        var text = text
        text.withUTF8 { bytes in
            let start = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            let hash = KeyHash.bytes(start, bytes.count)
            let id = distinct.bytes.withUnsafeBufferPointer { stored in
                distinct.offsets.withUnsafeBufferPointer { offsets in
                    ids.id(hash: hash, representative: counts.count) { other in
                        let from = Int(offsets[other]), length = Int(offsets[other + 1]) - from
                        return length == bytes.count && KeyHash.equal(UnsafeRawPointer(stored.baseAddress! + from), start, length)
                    }
                }
            }
            if Int(id) == counts.count {
                distinct.append(bytes: bytes)
                counts.append(count)
            } else {
                counts[Int(id)] += count
            }
        }
    }

    var frequencies: [Frequency<String>] { counts.indices.map { Frequency(value: distinct[$0], count: counts[$0]) } }
}

/// One kernel set per (set kind, element type), made on first use.
enum KernelCache {
    private static let sets = Mutex<[String: any Sendable]>([:])

    static func instance<T: Sendable>(_ make: () -> T) -> T {
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
