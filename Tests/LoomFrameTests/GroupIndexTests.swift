import LoomCore
import Testing
@testable import LoomFrame

/// The group numbering under every group-by and the single-key sort under every group-by's
/// last step, each path (a table indexed by value, keys held in the hash table's slots, keys
/// compared through their first row) checked against Swift's own dictionary and sort.
@Suite struct GroupIndexTests {
    /// Group numbers in order of first appearance, as a dictionary gives them.
    static func reference<Key: Hashable>(_ keys: [Key]) -> [Int32] {
        var ids: [Key: Int32] = [:]
        return keys.map { key in
            if let id = ids[key] { return id }
            let id = Int32(ids.count)
            ids[key] = id
            return id
        }
    }

    static func groups(_ columns: KeyValuePairs<String, Column>) throws -> [Int32] {
        try GroupIndex(try Table(columns), keys: columns.map(\.key)).groups
    }

    static let rows = 50_000

    @Test func integersNarrowAndWideGroupAsADictionary() throws {
        var generator = SplitMix64(seed: 11)
        let narrow = (0..<Self.rows).map { _ in Int64(generator.next(below: 40)) - 20 }
        let pool = (0..<3_000).map { _ in Int64(bitPattern: generator.next()) }
        let wide = (0..<Self.rows).map { _ in pool[Int(generator.next(below: pool.count))] }
        #expect(try Self.groups(["k": Column(narrow)]) == Self.reference(narrow))
        #expect(try Self.groups(["k": Column(wide)]) == Self.reference(wide))
        let withNulls = narrow.map { $0 == 3 ? nil : $0 }
        #expect(try Self.groups(["k": Column(withNulls)]) == Self.reference(withNulls))
    }

    @Test func shortAndLongStringsGroupAsADictionary() throws {
        var generator = SplitMix64(seed: 12)
        // Lengths 0 through 16 (every way two words are filled), and a zero byte inside one.
        let short = (0..<2_000).map { index in String(repeating: "x", count: index % 17) + "\(index)".suffix(index % 17 == 0 ? 0 : 1) } + ["ab", "ab\u{0}"]
        let keys = (0..<Self.rows).map { _ in short[Int(generator.next(below: short.count))] }
        #expect(try Self.groups(["k": Column(keys)]) == Self.reference(keys))
        let long = keys.enumerated().map { $0 % 1_000 == 0 ? $1 + String(repeating: "long", count: 5) : $1 }
        #expect(try Self.groups(["k": Column(long)]) == Self.reference(long))
        let withNulls: [String?] = keys.map { $0 == "ab" ? nil : $0 }
        #expect(try Self.groups(["k": Column(withNulls)]) == Self.reference(withNulls))
    }

    @Test func floatKeysGroupMinusZeroWithZeroAndNaNsTogether() throws {
        let keys: [Double] = [0.0, -0.0, .nan, 1.5, -.nan, 0.0, 1.5, .infinity]
        #expect(try Self.groups(["k": Column(keys)]) == [0, 0, 1, 2, 1, 0, 2, 3])
    }

    @Test func pairsOfKeysGroupAsADictionary() throws {
        var generator = SplitMix64(seed: 13)
        let a = (0..<Self.rows).map { _ in Int64(generator.next(below: 5_000)) * 1_000_003 }
        let b = (0..<Self.rows).map { _ in "s\(generator.next(below: 4_000))" }
        let c = (0..<Self.rows).map { _ in Int32(generator.next(below: 6)) }
        struct Pair: Hashable { var a: Int64, b: String }
        struct Small: Hashable { var b: String, c: Int32 }
        // 5 000 × 4 000 pairs: hashed; 4 000 × 6: a table indexed by the pair.
        #expect(try Self.groups(["a": Column(a), "b": Column(b)]) == Self.reference(zip(a, b).map { Pair(a: $0, b: $1) }))
        #expect(try Self.groups(["b": Column(b), "c": Column(c)]) == Self.reference(zip(b, c).map { Small(b: $0, c: $1) }))
    }

    @Test func singleKeySortsAreStableInEitherDirection() throws {
        var generator = SplitMix64(seed: 14)
        let numbers = (0..<5_000).map { _ in Int64(generator.next(below: 300)) - 150 }
        let strings = (0..<5_000).map { _ in ["", "a", "ab", "ab\u{0}", "abcdefgh", "abcdefghi", "b", "zzzzzzzzzzzzzzzz"][Int(generator.next(below: 8))] }
        let table = try Table(["n": Column(numbers), "s": Column(strings), "row": Column((0..<5_000).map(Int64.init))])
        for ascending in [true, false] {
            func order<T>(_ values: [T], _ less: (T, T) -> Bool) -> [Int64] {
                values.indices.sorted { a, b in
                    if less(values[a], values[b]) { return ascending }
                    if less(values[b], values[a]) { return !ascending }
                    return a < b
                }.map(Int64.init)
            }
            #expect(try table.sorted(by: ["n"], ascending: [ascending])["row"].int64s == order(numbers, <))
            let bytes = strings.map { Array($0.utf8) }
            #expect(try table.sorted(by: ["s"], ascending: [ascending])["row"].int64s == order(bytes) { $0.lexicographicallyPrecedes($1) })
        }
    }
}
