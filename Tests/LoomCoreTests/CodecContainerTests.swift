import Foundation
import Testing
@testable import LoomCore

// Values the standard library and Foundation encode through containers: structs, enums,
// optionals, dictionaries, sets, Foundation types, and empty collections of each kind.

private enum Color: Codable, Equatable { case red, green, blue }

private enum Suit: String, Codable { case hearts, spades }

@Suite struct CodecContainerTests {
    @Test func nestedStructs() throws {
        let order = Order(
            id: 42,
            items: [Item(name: "pen", price: 1.25, tags: ["office"], count: 3), Item(name: "ink", price: 9, tags: [], count: nil)],
            customer: Customer(name: "Ada", address: Address(street: "1 Loop Rd", zip: 12345)),
            notes: ["gift": "yes", "": "empty key"])
        try expectRoundTrip(order)
        try expectRoundTrip(Customer(name: "Bob", address: nil))
        try expectRoundTrip([order, order])
    }

    @Test func enums() throws {
        try expectRoundTrip([Color.red, .green, .blue])
        try expectRoundTrip([Suit.hearts: 1, Suit.spades: 2])
        try expectRoundTrip([Level.low, Level.high])
        try expectRoundTrip([Shape.point, .circle(radius: 2), .rectangle(3, 4), .labeled("x", shape: Item(name: "i", price: 1, tags: [], count: 1))])
        try expectRoundTrip(Tree.node([.leaf(1), .node([.leaf(2), .node([])]), .leaf(-3)]))
    }

    @Test func optionals() throws {
        try expectRoundTrip(Optional<Int>.none)
        try expectRoundTrip(Optional(5))
        try expectRoundTrip([1, nil, 3] as [Int?])
        try expectRoundTrip(["a": nil, "b": 2] as [String: Int?])
        try expectRoundTrip(Optional(Optional(7)) as Int??)
        // Like JSON, `.some(nil)` is nil on the wire and reads back as nil.
        #expect(try roundTrip(Optional(Optional<Int>.none) as Int??) == nil)
        try expectRoundTrip(Item(name: "n", price: 0, tags: [], count: nil))
    }

    @Test func dictionariesAndSets() throws {
        try expectRoundTrip(["one": 1, "two": 2, "three": 3])
        try expectRoundTrip([1: "one", -2: "minus two", Int.max: "max"])
        try expectRoundTrip([UInt8(1): [1.5], 2: []])
        try expectRoundTrip(Dictionary(uniqueKeysWithValues: (0..<200).map { ("key \($0)", $0) }))
        try expectRoundTrip(Dictionary(uniqueKeysWithValues: (0..<200).map { ($0, "value \($0)") }))
        try expectRoundTrip(["outer": ["inner": [1.0, 2.0]]])
        try expectRoundTrip(Set([3, 1, 4, 1, 5, 9, 2, 6]))
        try expectRoundTrip(Set(["a", "b", "c"]))
        try expectRoundTrip(Set([Item(name: "s", price: 1, tags: [], count: nil)]))
    }

    @Test func foundationTypes() throws {
        try expectRoundTrip(Date(timeIntervalSinceReferenceDate: 123_456.789))
        try expectRoundTrip(URL(string: "https://example.com/a?b=c")!)
        try expectRoundTrip(UUID())
        try expectRoundTrip(Data([0, 1, 2, 255]))
    }

    @Test func emptyCollections() throws {
        try expectRoundTrip([Int]())
        try expectRoundTrip([Double]())
        try expectRoundTrip([String]())
        try expectRoundTrip([Item]())
        try expectRoundTrip([String: Int]())
        try expectRoundTrip([Int: Int]())
        try expectRoundTrip(Set<String>())
        try expectRoundTrip(Data())
        try expectRoundTrip([[Int]]([[], []]))
    }
}
