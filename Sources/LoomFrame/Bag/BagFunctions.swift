import LoomCore

/// Functions over a bag's elements, made from a closure per element and registered like any
/// `TaskFunction` (`Loom.bootstrap(registering: words)`): one task applies one to a whole
/// partition, so an element costs a call, not a task. The `local` forms take any closure and
/// run on the synchronous and threads schedulers only.
public struct BagMap<Element: Codable & Sendable, Result: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    /// For text results: the step and `frequencies` after it in one function (`TextCounting`).
    let countingText: AnyTaskFunction?

    public var companions: [AnyTaskFunction] { countingText.map { [$0] } ?? [] }

    public init(_ name: String, _ body: @escaping @Sendable (Element) throws -> Result) { self.init(name, local: false, body) }

    init(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> Result) {
        erased = partitionFunction(name, local: local) { (elements: [Element]) in try elements.map(body) }
        countingText = TextCounting.map(name, local: local, body)
    }
}

/// A function of a partition under `name`: a `TaskFunction` to register, or (`local`) a
/// `LocalFunction` for the in-process schedulers.
func partitionFunction<each Argument: Codable & Sendable, Result: Codable & Sendable>(
    _ name: String, local: Bool, _ body: @escaping @Sendable (repeat each Argument) throws -> Result
) -> AnyTaskFunction {
    local ? LocalFunction(name, body).erased : TaskFunction(name, body).erased
}

/// The elements for which a closure says true.
public struct BagFilter<Element: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    let countingText: AnyTaskFunction?

    public var companions: [AnyTaskFunction] { countingText.map { [$0] } ?? [] }

    public init(_ name: String, _ body: @escaping @Sendable (Element) throws -> Bool) { self.init(name, local: false, body) }

    init(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> Bool) {
        erased = partitionFunction(name, local: local) { (elements: [Element]) in try elements.filter(body) }
        countingText = TextCounting.filter(name, local: local, body)
    }
}

/// Each element to any number of elements, all of them in the result (`line → words`).
public struct BagFlatMap<Element: Codable & Sendable, Result: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    let countingText: AnyTaskFunction?

    public var companions: [AnyTaskFunction] { countingText.map { [$0] } ?? [] }

    public init(_ name: String, _ body: @escaping @Sendable (Element) throws -> [Result]) { self.init(name, local: false, body) }

    init(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> [Result]) {
        erased = partitionFunction(name, local: local) { (elements: [Element]) in try Self.flatMap(elements, body) }
        countingText = TextCounting.flatMap(name, local: local, body)
    }

    /// The results end to end, their room reserved from the first thousand elements' (a
    /// partition's result is large: growing it by doubling copies it and touches new pages).
    private static func flatMap(_ elements: [Element], _ body: (Element) throws -> [Result]) throws -> [Result] {
        var results: [Result] = []
        let sample = Swift.min(elements.count, 1000)
        for element in elements[..<sample] { results += try body(element) }
        if sample < elements.count { results.reserveCapacity(results.count * elements.count / Swift.max(1, sample) * 9 / 8 + 16) }
        for element in elements[sample...] { results += try body(element) }
        return results
    }
}

/// An associative combination with its identity (`+` and 0): folds each partition, then the
/// partitions' results, in order.
public struct BagFold<Element: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction

    public init(_ name: String, initial: Element, _ combine: @escaping @Sendable (Element, Element) throws -> Element) {
        self.init(name, local: false, initial: initial, combine)
    }

    init(_ name: String, local: Bool, initial: Element, _ combine: @escaping @Sendable (Element, Element) throws -> Element) {
        erased = partitionFunction(name, local: local) { (elements: [Element]) in try elements.reduce(initial, combine) }
    }
}

/// A key of each element, for `groupBy`: registered as the shuffle's split (each element to the
/// bucket of a hash of its key that every process computes alike) with its grouping step as a
/// companion (`Loom.bootstrap(registering: byFirstLetter)` registers both).
public struct BagKey<Element: Codable & Sendable, Key: Codable & Sendable & Hashable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    /// The elements of some pieces grouped by key, in order of first appearance.
    let grouping: AnyTaskFunction

    public var companions: [AnyTaskFunction] { [grouping] }

    public init(_ name: String, _ key: @escaping @Sendable (Element) throws -> Key) { self.init(name, local: false, key) }

    init(_ name: String, local: Bool, _ key: @escaping @Sendable (Element) throws -> Key) {
        erased = partitionFunction(name, local: local) { (elements: [Element], count: Int) in try Self.split(elements, count, key) }
        grouping = partitionFunction("\(name).group", local: local) { (pieces: [[Element]]) in try Self.group(pieces, key) }
    }

    private static func split(_ elements: [Element], _ count: Int, _ key: (Element) throws -> Key) throws -> [[Element]] {
        var pieces = [[Element]](repeating: [], count: count)
        for element in elements { pieces[Int(try StableHash.of(try key(element)) % UInt64(count))].append(element) }
        return pieces
    }

    private static func group(_ pieces: [[Element]], _ key: (Element) throws -> Key) throws -> [BagGroup<Key, Element>] {
        var order: [Key] = [], groups: [Key: [Element]] = [:]
        for element in pieces.joined() {
            let key = try key(element)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(element)
        }
        return order.map { BagGroup(key: $0, elements: groups[$0]!) }
    }
}

/// The elements that share a key (`groupBy`'s elements).
public struct BagGroup<Key: Codable & Sendable & Hashable, Element: Codable & Sendable>: Codable, Sendable {
    public var key: Key
    public var elements: [Element]
}

/// A key and a value (`foldBy`'s elements).
public struct BagPair<Key: Codable & Sendable & Hashable, Value: Codable & Sendable>: Codable, Sendable {
    public var key: Key
    public var value: Value
}

/// Dask's `foldby`: each element's key and value, and an associative combination of values with
/// its identity. Each partition folds its values by key (the function); the partitions' results
/// then fold together, a tree of them (its companion).
public struct BagFoldBy<Element: Codable & Sendable, Key: Codable & Sendable & Hashable, Value: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    let combining: AnyTaskFunction

    public var companions: [AnyTaskFunction] { [combining] }

    public init(_ name: String, key: @escaping @Sendable (Element) throws -> Key, value: @escaping @Sendable (Element) throws -> Value,
                initial: Value, _ combine: @escaping @Sendable (Value, Value) throws -> Value) {
        erased = TaskFunction(name) { (elements: [Element]) in
            try Self.fold(try elements.map { (try key($0), try value($0)) }, initial, combine)
        }.erased
        combining = TaskFunction("\(name).combine") { (parts: [[BagPair<Key, Value>]]) in
            try Self.fold(parts.joined().map { ($0.key, $0.value) }, initial, combine)
        }.erased
    }

    private static func fold(_ pairs: some Sequence<(Key, Value)>, _ initial: Value, _ combine: (Value, Value) throws -> Value) throws -> [BagPair<Key, Value>] {
        var order: [Key] = [], folded: [Key: Value] = [:]
        for (key, value) in pairs {
            if let current = folded[key] { folded[key] = try combine(current, value) } else { order.append(key); folded[key] = try combine(initial, value) }
        }
        return order.map { BagPair(key: $0, value: folded[$0]!) }
    }
}

/// An element step whose results are text, and `frequencies` after it, in one function
/// (`name.frequencies`): each result is counted as the step makes it, so the step's list of
/// strings — the largest thing a word count makes — is never built. `Bag.frequencies` uses it
/// when the bag's partitions are that step. Nil for steps whose results are not strings.
enum TextCounting {
    static func fused<Element: Codable & Sendable>(
        _ name: String, local: Bool, _ count: @escaping @Sendable (Element, inout TextCounter) throws -> Void
    ) -> AnyTaskFunction {
        partitionFunction("\(name).frequencies", local: local) { (elements: [Element]) -> [Frequency<String>] in
            var counter = TextCounter()
            for element in elements { try count(element, &counter) }
            return counter.frequencies
        }
    }

    static func map<Element: Codable & Sendable, Result>(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> Result) -> AnyTaskFunction? {
        guard let text = body as? @Sendable (Element) throws -> String else { return nil }
        return fused(name, local: local) { element, counter in counter.add(try text(element), 1) }
    }

    static func flatMap<Element: Codable & Sendable, Result>(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> [Result]) -> AnyTaskFunction? {
        guard let texts = body as? @Sendable (Element) throws -> [String] else { return nil }
        return fused(name, local: local) { element, counter in
            for text in try texts(element) { counter.add(text, 1) }
        }
    }

    static func filter<Element: Codable & Sendable>(_ name: String, local: Bool, _ body: @escaping @Sendable (Element) throws -> Bool) -> AnyTaskFunction? {
        guard let keeps = body as? @Sendable (String) throws -> Bool else { return nil }
        return fused(name, local: local) { (text: String, counter: inout TextCounter) in
            if try keeps(text) { counter.add(text, 1) }
        }
    }
}

/// A hash of a value's encoded bytes (FNV-1a): the same in every process and run, unlike
/// Swift's seeded `Hasher`, so every worker sends a key to the same bucket.
enum StableHash {
    static func of<T: Encodable>(_ value: T) throws -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in try ValueCodec.encode(value) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
