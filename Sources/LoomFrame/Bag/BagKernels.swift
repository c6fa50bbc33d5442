import LoomCore
import Synchronization

/// The task functions that handle a bag's elements without looking at them — counting them,
/// picking a shuffle's piece — one set per element type, named by it (`bag.count<Swift.String>`).
/// Loom registers the sets of its own types (`BuiltInBagKernels`); a bag of your own type on
/// processes or a cluster needs `Loom.bootstrap(registering: BagKernels<MyType>.shared.all)`.
public final class BagKernels<Element: Codable & Sendable>: Sendable {
    let count: TaskFunction<[Element], Int>
    let pick: TaskFunction<Int, [[Element]], [Element]>
    let flatten: TaskFunction<[[Element]], [Element]>

    public var all: [any TaskFunctionRepresentable] { [count, pick, flatten] }

    private init() {
        let type = String(reflecting: Element.self)
        count = TaskFunction("bag.count<\(type)>") { (elements: [Element]) in elements.count }
        pick = TaskFunction("bag.pick<\(type)>") { (index: Int, pieces: [[Element]]) in pieces[index] }
        flatten = TaskFunction("bag.flatten<\(type)>") { (lists: [[Element]]) in Array(lists.joined()) }
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
            Counting.frequencies(of: elements)
        }
        mergeFrequencies = TaskFunction("bag.merge-frequencies<\(type)>") { (parts: [[Frequency<Element>]]) in
            Counting.merged(parts)
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
    static func frequencies<Value: Hashable>(of elements: [Value]) -> [Frequency<Value>] {
        // Text, the common case, by its bytes: a multiply-and-shift hash instead of SipHash
        // (and the elements cast once, not one by one).
        if let strings = elements as? [String] {
            var counter = TextCounter()
            for string in strings { counter.add(string, 1) }
            return counter.frequencies as! [Frequency<Value>]
        }
        return frequencies(elements.lazy.map { ($0, 1) })
    }

    static func merged<Value: Hashable>(_ parts: [[Frequency<Value>]]) -> [Frequency<Value>] {
        if let parts = parts as? [[Frequency<String>]] {
            var counter = TextCounter()
            for frequency in parts.joined() { counter.add(frequency.value, frequency.count) }
            return counter.frequencies as! [Frequency<Value>]
        }
        return frequencies(parts.joined().lazy.map { ($0.value, $0.count) })
    }

    private static func frequencies<Value: Hashable>(_ counted: some Sequence<(Value, Int)>) -> [Frequency<Value>] {
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

/// Counts of strings in order of first appearance. Those of at most 16 bytes (most words)
/// are counted in the hash table's slots — the key, its count and its place together, so a
/// word costs one cache line — and longer ones are keyed by their bytes in one buffer.
struct TextCounter {
    private struct Slot {
        var key: ShortString
        /// Its place in order of first appearance, + 1; 0 marks an empty slot.
        var place: Int32
        var count: Int
    }

    private var slots = [Slot](repeating: Slot(key: .placeholder, place: 0, count: 0), count: 1024)
    private var shortCount = 0
    private var long = DenseIDTable(expected: 16)
    private var longTexts = StringStorage()
    private var longCounts: [Int] = [], longPlaces: [Int32] = []
    /// The strings in order of first appearance.
    private var texts: [String] = []

    mutating func add(_ text: String, _ count: Int) {
        var contiguous = text
        contiguous.withUTF8 { bytes in
            add(UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!), length: bytes.count, available: bytes.count, count) { text }
        }
    }

    /// Counts the word whose UTF-8 is the `length` bytes at `start` (of which `available` may
    /// be read): its string is made only the first time it is seen. Bytes that are not UTF-8
    /// are counted as the string they decode to, as `String(decoding:)` repairs them.
    @inline(__always)
    mutating func add(bytes start: UnsafeRawPointer, length: Int, available: Int) {
        add(start, length: length, available: available, 1) {
            String(validating: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
        }
    }

    /// `text` makes the word's string, nil if its bytes are not UTF-8 (then it is counted by
    /// its repaired string, so such bytes are never a key of their own).
    @inline(__always)
    private mutating func add(_ start: UnsafeRawPointer, length: Int, available: Int, _ count: Int, text: () -> String?) {
        if length <= ShortString.maximumLength {
            let key = ShortString(start, length: length, available: available)
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: key.hash) & mask
            while slots[slot].place != 0 {
                if slots[slot].key == key {
                    slots[slot].count += count
                    return
                }
                slot = (slot + 1) & mask
            }
            guard let made = text() else { return addRepaired(start, length: length, count) }
            slots[slot] = Slot(key: key, place: Int32(texts.count + 1), count: count)
            texts.append(made)
            shortCount += 1
            if shortCount * 2 > slots.count { grow() }
            return
        }
        // Bytes are only a key once known to be text, and a long word is rare enough to check.
        let bytes = UnsafeRawBufferPointer(start: start, count: length)
        var made: String?
        if !bytes.allSatisfy({ $0 < 0x80 }) {
            guard let valid = text() else { return addRepaired(start, length: length, count) }
            made = valid
        }
        let hash = KeyHash.bytes(start, length)
        let id = Int(longTexts.bytes.withUnsafeBufferPointer { stored in
            longTexts.offsets.withUnsafeBufferPointer { offsets in
                long.id(hash: hash, representative: longCounts.count) { other in
                    let from = Int(offsets[other]), otherLength = Int(offsets[other + 1]) - from
                    return otherLength == length && KeyHash.equal(UnsafeRawPointer(stored.baseAddress! + from), start, length)
                }
            }
        })
        if id == longCounts.count {
            longTexts.append(bytes: bytes.assumingMemoryBound(to: UInt8.self))
            longCounts.append(count)
            longPlaces.append(Int32(texts.count))
            texts.append(made ?? String(decoding: bytes, as: UTF8.self))
        } else {
            longCounts[id] += count
        }
    }

    private mutating func addRepaired(_ start: UnsafeRawPointer, length: Int, _ count: Int) {
        add(String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self), count)
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(key: .placeholder, place: 0, count: 0), count: old.count * 2)
        let mask = slots.count - 1
        for entry in old where entry.place != 0 {
            var slot = Int(truncatingIfNeeded: entry.key.hash) & mask
            while slots[slot].place != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    var frequencies: [Frequency<String>] {
        var counts = [Int](repeating: 0, count: texts.count)
        for entry in slots where entry.place != 0 { counts[Int(entry.place) - 1] = entry.count }
        for (place, count) in zip(longPlaces, longCounts) { counts[Int(place)] = count }
        return zip(texts, counts).map { Frequency(value: $0, count: $1) }
    }
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
