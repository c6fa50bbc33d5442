import Foundation
import Testing
@testable import LoomCore

// MARK: - Sample types

private struct Item: Codable, Equatable, Hashable {
    var name: String
    var price: Double
    var tags: [String]
    var count: Int?
}

private struct Order: Codable, Equatable {
    var id: UInt64
    var items: [Item]
    var customer: Customer
    var notes: [String: String]
}

private struct Customer: Codable, Equatable {
    var name: String
    var address: Address?
}

private struct Address: Codable, Equatable {
    var street: String
    var zip: Int32
}

private enum Color: Codable, Equatable { case red, green, blue }
private enum Suit: String, Codable { case hearts, spades }
private enum Level: Int, Codable { case low = 1, high = 1000 }

private enum Shape: Codable, Equatable {
    case point
    case circle(radius: Double)
    case rectangle(Double, Double)
    case labeled(String, shape: Item)
}

private indirect enum Tree: Codable, Equatable {
    case leaf(Int)
    case node([Tree])
}

private struct Numbers: Codable, Equatable {
    var doubles: [Double]
    var ints: [Int]
    var bytes: [UInt8]
    var data: Data
    var floats: ContiguousArray<Float>
}

/// Encodes `extra` only when it is not the default, and decodes it with `decodeIfPresent`.
private struct Sparse: Codable, Equatable {
    var name: String
    var extra: Int

    enum CodingKeys: String, CodingKey { case name, extra }

    init(name: String, extra: Int = 0) {
        self.name = name
        self.extra = extra
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        extra = try container.decodeIfPresent(Int.self, forKey: .extra) ?? 0
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if extra != 0 { try container.encode(extra, forKey: .extra) }
    }
}

/// Uses nested containers, `superEncoder` and writes to a parent after a child.
private struct Manual: Codable, Equatable {
    var a: Int
    var list: [String]
    var inner: [String: Int]
    var parent: Sparse

    enum Keys: String, CodingKey { case a, list, inner, x, y }

    init(a: Int, list: [String], inner: [String: Int], parent: Sparse) {
        self.a = a
        self.list = list
        self.inner = inner
        self.parent = parent
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        try container.encode(a, forKey: .a)
        // Written after the parent moved on: the nested containers must still land in place.
        for element in self.list { try list.encode(element) }
        try inner.encode(self.inner["x"], forKey: .x)
        try inner.encode(self.inner["y"], forKey: .y)
        try parent.encode(to: container.superEncoder())
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        a = try container.decode(Int.self, forKey: .a)
        var list = try container.nestedUnkeyedContainer(forKey: .list)
        var elements: [String] = []
        while !list.isAtEnd { elements.append(try list.decode(String.self)) }
        self.list = elements
        let inner = try container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        self.inner = ["x": try inner.decode(Int.self, forKey: .x), "y": try inner.decode(Int.self, forKey: .y)]
        parent = try Sparse(from: container.superDecoder())
    }
}

private class Animal: Codable {
    var legs: Int
    init(legs: Int) { self.legs = legs }
}

private final class Dog: Animal {
    var name: String
    enum Keys: String, CodingKey { case name }

    init(name: String, legs: Int) {
        self.name = name
        super.init(legs: legs)
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: container.superEncoder())
    }
}

/// A recursive type for depth tests: each level is a keyed container holding an array.
private struct Nest: Codable {
    var children: [Nest]
}

/// Asks for two kinds of container: a misuse the encoder must report, not write garbage for.
private struct Confused: Encodable {
    enum Keys: CodingKey { case a }
    func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(1, forKey: .a)
        var unkeyed = encoder.unkeyedContainer()
        try unkeyed.encode(2)
    }
}

// MARK: - Helpers

private func roundTrip<T: Codable>(_ value: T) throws -> T {
    try ValueCodec.decode(T.self, from: ValueCodec.encode(value))
}

private func expectRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let decoded = try roundTrip(value)
    #expect(decoded == value, sourceLocation: sourceLocation)
}

/// Decodes `bytes` as `T`; anything but success or a `CodecError` is a failure.
private func decodeOrCodecError<T: Decodable>(_: T.Type, _ bytes: [UInt8]) {
    do {
        _ = try ValueCodec.decode(T.self, from: bytes)
    } catch is CodecError {
    } catch {
        Issue.record("decoding \(bytes) as \(T.self) threw a non-CodecError: \(error)")
    }
}

private func codecError(_ body: () throws -> Void) -> CodecError? {
    do {
        try body()
        return nil
    } catch let error as CodecError {
        return error
    } catch {
        return nil
    }
}

// MARK: - Tests

@Suite struct CodecTests {
    // MARK: Primitives

    @Test func varintsAndZigzag() throws {
        var writer = ByteWriter()
        let unsigned: [UInt64] = [0, 1, 127, 128, 255, 16_383, 16_384, UInt64(UInt32.max), UInt64.max]
        let signed: [Int64] = [0, -1, 1, -64, 63, -65, 64, Int64.min, Int64.max]
        for value in unsigned { writer.writeVarUInt(value) }
        for value in signed { writer.writeVarInt(value) }
        writer.writeFixed64LE(0x0102_0304_0506_0708)
        writer.writeString("héllo")
        writer.writeLengthPrefixed([1, 2, 3])
        #expect(ByteWriter.varUIntSize(127) == 1 && ByteWriter.varUIntSize(128) == 2 && ByteWriter.varUIntSize(.max) == 10)

        try ByteReader.read(writer.bytes) { reader throws in
            for value in unsigned { #expect(try reader.readVarUInt() == value) }
            for value in signed { #expect(try reader.readVarInt() == value) }
            #expect(try reader.readFixed64LE() == 0x0102_0304_0506_0708)
            #expect(try reader.readString() == "héllo")
            #expect(Array(try reader.readLengthPrefixed()) == [1, 2, 3])
            #expect(reader.isAtEnd)
            #expect(throws: CodecError.self) { try reader.readUInt8() }
        }
        // Zigzag keeps small negatives short.
        var small = ByteWriter()
        small.writeVarInt(-1)
        #expect(small.bytes == [1])
    }

    @Test func readerRejectsBadInput() throws {
        let overlong: [UInt8] = Array(repeating: 0x80, count: 10) + [0x01]
        let overflow: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x02]
        for bytes in [overlong, overflow] {
            let error = ByteReader.read(bytes) { reader in codecError { _ = try reader.readVarUInt() } }
            #expect(error?.code == .invalidVarint)
        }
        let truncated = ByteReader.read([0x80, 0x80]) { reader in codecError { _ = try reader.readVarUInt() } }
        #expect(truncated?.code == .truncated)
        let badUTF8 = ByteReader.read([2, 0xC3, 0x28]) { reader in codecError { _ = try reader.readString() } }
        #expect(badUTF8?.code == .invalidUTF8)
        let longLength = ByteReader.read([5, 1, 2]) { reader in codecError { _ = try reader.readLengthPrefixed() } }
        #expect(longLength?.code == .invalidLength)
        let shortFixed = ByteReader.read([1, 2, 3]) { reader in codecError { _ = try reader.readFixed64LE() } }
        #expect(shortFixed?.code == .truncated)
        #expect(shortFixed?.message.contains("byte 0") == true)
        let negative = ByteReader.read([1, 2, 3]) { reader in codecError { _ = try reader.readBytes(-1) } }
        #expect(negative?.code == .truncated)
    }

    @Test func integersAtTheirBounds() throws {
        for value: Int8 in [.min, -1, 0, 1, .max] { try expectRoundTrip(value) }
        for value: Int16 in [.min, -1, 0, 1, .max] { try expectRoundTrip(value) }
        for value: Int32 in [.min, -1, 0, 1, .max] { try expectRoundTrip(value) }
        for value: Int64 in [.min, -1, 0, 1, .max] { try expectRoundTrip(value) }
        for value: Int in [.min, -1, 0, 1, 127, 128, .max] { try expectRoundTrip(value) }
        for value: UInt8 in [0, 1, .max] { try expectRoundTrip(value) }
        for value: UInt16 in [0, 1, .max] { try expectRoundTrip(value) }
        for value: UInt32 in [0, 1, .max] { try expectRoundTrip(value) }
        for value: UInt64 in [0, 1, .max] { try expectRoundTrip(value) }
        for value: UInt in [0, 1, .max] { try expectRoundTrip(value) }
        // Inside containers too (the non-fast-path writers).
        try expectRoundTrip([Int8.min, Int8.max].map { Optional($0) })
        try expectRoundTrip(["min": Int64.min, "max": Int64.max])
        try expectRoundTrip([UInt64.max, 0, 1].map { [$0] })
        #expect(try ValueCodec.encode(5).count == 2)
    }

    @Test func integersConvertOnlyWhenExact() throws {
        #expect(try ValueCodec.decode(UInt8.self, from: ValueCodec.encode(200)) == 200)
        #expect(try ValueCodec.decode(Int.self, from: ValueCodec.encode(UInt64(7))) == 7)
        let tooBig = codecError { _ = try ValueCodec.decode(UInt8.self, from: ValueCodec.encode(300)) }
        #expect(tooBig?.code == .numberOutOfRange)
        #expect(tooBig?.message.contains("300") == true)
        let negative = codecError { _ = try ValueCodec.decode(UInt.self, from: ValueCodec.encode(-1)) }
        #expect(negative?.code == .numberOutOfRange)
        let huge = codecError { _ = try ValueCodec.decode(Int64.self, from: ValueCodec.encode(UInt64.max)) }
        #expect(huge?.code == .numberOutOfRange)
    }

    @Test func floatingPointSpecialValues() throws {
        let doubles: [Double] = [0, -0.0, 1.5, -2.25, .pi, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for value in doubles {
            let decoded = try roundTrip(value)
            #expect(decoded.bitPattern == value.bitPattern)
            let boxed = try roundTrip([value, value])
            #expect(boxed.map(\.bitPattern) == [value.bitPattern, value.bitPattern])
            let optional = try roundTrip(Optional(value))
            #expect(optional?.bitPattern == value.bitPattern)
        }
        let floats: [Float] = [0, -0.0, 1.5, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]
        for value in floats {
            #expect(try roundTrip(value).bitPattern == value.bitPattern)
            #expect(try roundTrip([Optional(value)])[0]?.bitPattern == value.bitPattern)
        }
        // A Float reads as a Double; a Double reads as a Float only when exact.
        #expect(try ValueCodec.decode(Double.self, from: ValueCodec.encode(Float(1.5))) == 1.5)
        #expect(try ValueCodec.decode(Float.self, from: ValueCodec.encode(0.5)) == 0.5)
        #expect(codecError { _ = try ValueCodec.decode(Float.self, from: ValueCodec.encode(0.1)) }?.code == .numberOutOfRange)
    }

    @Test func strings() throws {
        for value in ["", "a", "hello, world", "héllo wörld", "日本語テキスト", "👩‍👩‍👧‍👦 family", "\u{0}nul", String(repeating: "long ", count: 1000)] {
            try expectRoundTrip(value)
            try expectRoundTrip([value: [value]])
        }
        #expect(try ValueCodec.encode("").count == 2)
    }

    @Test func boolsAndNil() throws {
        try expectRoundTrip(true)
        try expectRoundTrip(false)
        try expectRoundTrip([true, false])
        #expect(try ValueCodec.encode(Optional<Int>.none) == [ValueTag.null])
    }

    // MARK: Composite types

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

    @Test func customEncodingSkipsAKey() throws {
        try expectRoundTrip(Sparse(name: "default"))
        try expectRoundTrip(Sparse(name: "set", extra: 7))
        #expect(try ValueCodec.encode(Sparse(name: "x")).count < ValueCodec.encode(Sparse(name: "x", extra: 1)).count)
    }

    @Test func nestedContainersAndSuperEncoders() throws {
        try expectRoundTrip(Manual(a: 1, list: ["p", "q"], inner: ["x": 10, "y": 20], parent: Sparse(name: "base", extra: 3)))
        let dog = try roundTrip(Dog(name: "Rex", legs: 4))
        #expect(dog.name == "Rex" && dog.legs == 4)
    }

    @Test func encoderMisuseThrows() throws {
        let error = codecError { _ = try ValueCodec.encode(Confused()) }
        #expect(error?.code == .encodingFailed)
    }

    @Test func encodeIntoAppends() throws {
        var buffer: [UInt8] = [0xAA]
        try ValueCodec.encode(7, into: &buffer)
        try ValueCodec.encode(Item(name: "a", price: 1, tags: [], count: nil), into: &buffer)
        #expect(buffer[0] == 0xAA)
        let first = try ValueCodec.encode(7)
        #expect(Array(buffer[1..<1 + first.count]) == first)
        let rest = Array(buffer[(1 + first.count)...])
        #expect(try ValueCodec.decode(Item.self, from: rest).name == "a")
        // A failed encode leaves the buffer as it was.
        #expect(throws: CodecError.self) { try ValueCodec.encode(Confused(), into: &buffer) }
        #expect(buffer.count == 1 + first.count + rest.count)
    }

    @Test func decodesFromARawBufferSlice() throws {
        let value = try ValueCodec.encode(["a": [1, 2, 3]])
        let padded: [UInt8] = [9, 9] + value + [9]
        let decoded = try padded.withUnsafeBytes { raw in
            try ValueCodec.decode([String: [Int]].self, from: UnsafeRawBufferPointer(rebasing: raw[2..<(2 + value.count)]))
        }
        #expect(decoded == ["a": [1, 2, 3]])
    }

    // MARK: Fast paths

    @Test func packedArraysAreRawBytes() throws {
        let doubles = (0..<1000).map { Double($0) * 0.5 }
        let encoded = try ValueCodec.encode(doubles)
        #expect(encoded.count == 2 + 2 + 8 * 1000)  // tag, kind, varint 1000, raw
        #expect(try ValueCodec.decode([Double].self, from: encoded) == doubles)

        let ints = (0..<1000).map { $0 * 1_000_003 - 7 }
        #expect(try ValueCodec.encode(ints).count == 4 + 8 * 1000)
        try expectRoundTrip(ints)

        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try ValueCodec.encode(bytes).count == 1 + 2 + 300)
        try expectRoundTrip(bytes)
        let data = Data(bytes)
        #expect(try ValueCodec.encode(data) == ValueCodec.encode(bytes))
        try expectRoundTrip(data)

        try expectRoundTrip((0..<100).map { Float($0) / 3 })
        try expectRoundTrip((0..<100).map { Int32($0) - 50 })
        try expectRoundTrip((0..<100).map { Int64($0) << 40 })
        try expectRoundTrip((0..<100).map { UInt32($0) * 40_000_000 })
        try expectRoundTrip((0..<100).map { UInt64($0) << 56 })
        try expectRoundTrip(ContiguousArray((0..<100).map(Double.init)))
        try expectRoundTrip(ContiguousArray((0..<100).map { $0 }))
        try expectRoundTrip(ContiguousArray<UInt8>([1, 2, 3]))
        try expectRoundTrip(ContiguousArray<Int32>([-1, 2]))
        try expectRoundTrip(Numbers(doubles: [1, 2], ints: [3], bytes: [4, 5], data: Data([6]), floats: [7.5]))
        #expect(try ValueCodec.encode(ContiguousArray([1.0, 2.0])) == ValueCodec.encode([1.0, 2.0]))
        // [String] has its own fast path, in the generic array form.
        try expectRoundTrip(["a", "", "ß"])
        #expect(try ValueCodec.encode(["ab"]) == [ValueTag.array, 1, ValueTag.string, 2, 97, 98])
        #expect(try ValueCodec.decode([String].self, from: ValueCodec.encode(["a"] as [String?])) == ["a"])
        let withNil = try #require(codecError { _ = try ValueCodec.decode([String].self, from: ValueCodec.encode(["a", nil] as [String?])) })
        #expect(withNil.message.hasPrefix("expected String at [1], found nil at byte "))
    }

    @Test func packedArraysReadAsOtherNumberArrays() throws {
        #expect(try ValueCodec.decode([Int].self, from: ValueCodec.encode([Int32(-5), 6])) == [-5, 6])
        #expect(try ValueCodec.decode([Int].self, from: ValueCodec.encode([UInt8(200), 1])) == [200, 1])
        #expect(try ValueCodec.decode([Double].self, from: ValueCodec.encode([1, -2])) == [1, -2])
        #expect(try ValueCodec.decode([Int16].self, from: ValueCodec.encode([Int32(300)])) == [300])
        #expect(try ValueCodec.decode(Set<Int>.self, from: ValueCodec.encode([1, 2, 2])) == [1, 2])
        #expect(try ValueCodec.decode(Data.self, from: ValueCodec.encode([UInt8(1), 2] as [UInt8?])) == Data([1, 2]))
        #expect(try ValueCodec.decode([UInt8].self, from: ValueCodec.encode([1, 2] as [Int?])) == [1, 2])
        let overflow = codecError { _ = try ValueCodec.decode([Int8].self, from: ValueCodec.encode([Int32(1000)])) }
        #expect(overflow?.code == .numberOutOfRange)
        let notStrings = codecError { _ = try ValueCodec.decode([String].self, from: ValueCodec.encode([1.0])) }
        #expect(notStrings?.code == .typeMismatch)
    }

    @Test func encodeListComposesEncodedElements() throws {
        func check<X: Codable & Equatable>(_ elements: [X]) throws {
            let list = ValueCodec.encodeList(of: try elements.map { try ValueCodec.encode($0) })
            #expect(try ValueCodec.decode([X].self, from: list) == elements)
        }
        try check([1, -2, Int.max, Int.min])
        try check(["a", "", "ü"])
        try check([Item(name: "a", price: 1, tags: ["t"], count: nil), Item(name: "b", price: 2, tags: [], count: 5)])
        try check([1.5, -0.25, .infinity])
        try check([Float(1), 2])
        try check([UInt8(1), 255])
        try check([Int32(-1)])
        try check([[1.0, 2.0], []])
        try check([Optional(1), nil])
        try check([Int]())
        let asData = try ValueCodec.decode(Data.self, from: ValueCodec.encodeList(of: [try ValueCodec.encode(UInt8(7))]))
        #expect(asData == Data([7]))
        let contiguous = try ValueCodec.decode(
            ContiguousArray<Double>.self, from: ValueCodec.encodeList(of: [try ValueCodec.encode(2.5)]))
        #expect(contiguous == [2.5])
    }

    // MARK: Errors

    @Test func typeMismatchNamesPathAndOffset() throws {
        /// Writes its price as text when asked to, to plant one bad value in a list.
        struct Priced: Encodable {
            var price: Int
            var asText: Bool
            enum CodingKeys: CodingKey { case name, price }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode("item", forKey: .name)
                if asText { try container.encode("\(price)", forKey: .price) } else { try container.encode(price, forKey: .price) }
            }
        }
        struct WrittenOrder: Encodable { var items: [Priced] }
        struct PricedItem: Codable { var name: String; var price: Int }
        struct NumericOrder: Codable { var items: [PricedItem] }

        let order = WrittenOrder(items: (0..<5).map { Priced(price: $0, asText: $0 == 3) })
        let bytes = try ValueCodec.encode(order)
        let error = try #require(codecError { _ = try ValueCodec.decode(NumericOrder.self, from: bytes) })
        #expect(error.code == .typeMismatch)
        #expect(error.codingPath == "items[3].price")
        #expect(error.message.hasPrefix("expected Int at items[3].price, found string at byte "))
        let offset = try #require(error.offset)
        #expect(bytes[offset] == ValueTag.string)
        #expect(error.description.contains("type mismatch"))
    }

    @Test func missingKeyAndShortArrayAreNamed() throws {
        struct Wide: Codable { var a: Int; var b: Int }
        struct Narrow: Codable { var a: Int }
        let missing = try #require(codecError { _ = try ValueCodec.decode(Wide.self, from: ValueCodec.encode(Narrow(a: 1))) })
        #expect(missing.code == .keyNotFound)
        #expect(missing.message.contains("'b'") && missing.message.contains("'a'"))

        struct Pair: Decodable {
            var x: Int, y: Int
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                x = try container.decode(Int.self)
                y = try container.decode(Int.self)
            }
        }
        let short = try #require(codecError { _ = try ValueCodec.decode(Pair.self, from: ValueCodec.encode([1])) })
        #expect(short.code == .valueNotFound)
        #expect(short.message.contains("[1]"))
    }

    @Test func trailingAndTruncatedInput() throws {
        let bytes = try ValueCodec.encode(Item(name: "a", price: 1, tags: ["x"], count: 2))
        let trailing = try #require(codecError { _ = try ValueCodec.decode(Item.self, from: bytes + [0]) })
        #expect(trailing.code == .trailingBytes)
        #expect(trailing.offset == bytes.count)
        #expect(trailing.message.contains("byte \(bytes.count)"))
        #expect(codecError { _ = try ValueCodec.decode(Int.self, from: [ValueTag.signed, 2, 0]) }?.code == .trailingBytes)
        for length in 0..<bytes.count {
            #expect(throws: CodecError.self) { _ = try ValueCodec.decode(Item.self, from: Array(bytes[..<length])) }
        }
        #expect(codecError { _ = try ValueCodec.decode(Int.self, from: []) }?.code == .truncated)
    }

    @Test func typesOwnErrorsAreWrapped() throws {
        let error = try #require(codecError { _ = try ValueCodec.decode(Level.self, from: ValueCodec.encode(5)) })
        #expect(error.code == .invalidValue)
        #expect(error.underlying is DecodingError)
        #expect(error.message.contains("Level"))
    }

    @Test func hugeDeclaredCountsThrowAtOnce() throws {
        var writer = ByteWriter()
        writer.writeVarUInt(1 << 60)
        let count = writer.bytes
        let inputs: [[UInt8]] = [
            [ValueTag.array] + count,
            [ValueTag.map] + count,
            [ValueTag.string] + count,
            [ValueTag.bytes] + count,
            [ValueTag.packed, PackedKind.float64.rawValue] + count,
            [ValueTag.array, 1, ValueTag.array] + count,
        ]
        let start = ContinuousClock.now
        for input in inputs {
            for attempt in 0..<4 {
                let error: CodecError?
                switch attempt {
                case 0: error = codecError { _ = try ValueCodec.decode([Int].self, from: input) }
                case 1: error = codecError { _ = try ValueCodec.decode([String: Int].self, from: input) }
                case 2: error = codecError { _ = try ValueCodec.decode([[Double]].self, from: input) }
                default: error = codecError { _ = try ValueCodec.decode(Data.self, from: input) }
                }
                #expect(error != nil)
            }
            let declared = codecError { _ = try ValueCodec.decode([[Double]].self, from: input) }
            #expect(declared?.code == .invalidLength || declared?.code == .typeMismatch)
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func deepNestingIsRefused() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for _ in 0..<depth { bytes += [ValueTag.map, 1, 8] + Array("children".utf8) + [ValueTag.array, 1] }
            bytes += [ValueTag.map, 1, 8] + Array("children".utf8) + [ValueTag.array, 0]
            return bytes
        }
        // 50 levels of struct + array (101 containers) decode; 512 nested arrays do not.
        _ = try ValueCodec.decode(Nest.self, from: nested(50))
        let deep = try #require(codecError { _ = try ValueCodec.decode(Nest.self, from: nested(300)) })
        #expect(deep.code == .depthLimitExceeded)
        /// Reads arrays of arrays as deep as they go.
        struct Arrays: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                while !container.isAtEnd {
                    if try container.decodeNil() { continue }
                    _ = try container.decode(Arrays.self)
                }
            }
        }
        let arrays = Array(repeating: ValueTag.array, count: 512).flatMap { [$0, 1] as [UInt8] } + [ValueTag.null]
        #expect(codecError { _ = try ValueCodec.decode(Arrays.self, from: arrays) }?.code == .depthLimitExceeded)
        let shallow = Array(repeating: ValueTag.array, count: 100).flatMap { [$0, 1] as [UInt8] } + [ValueTag.null]
        _ = try ValueCodec.decode(Arrays.self, from: shallow)
        struct Skipping: Decodable { init(from decoder: any Decoder) throws {} }
        #expect(codecError { _ = try ValueCodec.decode(Skipping.self, from: arrays) }?.code == .depthLimitExceeded)
        #expect(codecError { _ = try ValueCodec.decode(Tree.self, from: arrays) } != nil)
    }

    // MARK: Fuzzing

    /// Random bytes, biased towards valid tags and small numbers so they get past the first byte.
    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(state: 0x5EED)
        for _ in 0..<20_000 {
            let length = random.next(below: 65)
            let bytes = (0..<length).map { _ in
                random.next(below: 2) == 0 ? UInt8(random.next(below: 13)) : UInt8(truncatingIfNeeded: random.next())
            }
            decodeOrCodecError(Int.self, bytes)
            decodeOrCodecError(String.self, bytes)
            decodeOrCodecError([Int].self, bytes)
            decodeOrCodecError([Double].self, bytes)
            decodeOrCodecError(Data.self, bytes)
            decodeOrCodecError([String: Int].self, bytes)
            decodeOrCodecError([Int: [String]].self, bytes)
            decodeOrCodecError(Item.self, bytes)
            decodeOrCodecError(Shape.self, bytes)
            decodeOrCodecError(Tree.self, bytes)
            decodeOrCodecError(Set<Int16>.self, bytes)
            decodeOrCodecError(Optional<Order>.self, bytes)
        }
    }

    /// Valid encodings with bits flipped, bytes inserted, deleted or replaced.
    @Test func mutatedEncodingsNeverCrash() throws {
        let order = Order(
            id: 9, items: [Item(name: "a", price: 1, tags: ["x", "y"], count: 2)],
            customer: Customer(name: "c", address: Address(street: "s", zip: 1)), notes: ["k": "v"])
        let samples: [[UInt8]] = [
            try ValueCodec.encode(order),
            try ValueCodec.encode([Shape.circle(radius: 1), .labeled("l", shape: order.items[0])]),
            try ValueCodec.encode(Tree.node([.leaf(1), .node([.leaf(2)])])),
            try ValueCodec.encode([1.5, 2.5, 3.5]),
            try ValueCodec.encode([1: ["a"], 2: []]),
            try ValueCodec.encode(Set<Int16>([1, 2, 3])),
        ]
        var random = SplitMix64(state: 42)
        for round in 0..<6_000 {
            var bytes = samples[round % samples.count]
            for _ in 0...random.next(below: 3) {
                let position = random.next(below: bytes.count + 1)
                switch random.next(below: 4) {
                case 0 where position < bytes.count: bytes[position] ^= UInt8(1) << UInt8(random.next(below: 8))
                case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                case 3 where position < bytes.count: bytes[position] = UInt8(random.next(below: 13))
                default: break
                }
            }
            decodeOrCodecError(Order.self, bytes)
            decodeOrCodecError([Shape].self, bytes)
            decodeOrCodecError(Tree.self, bytes)
            decodeOrCodecError([Double].self, bytes)
            decodeOrCodecError([Int: [String]].self, bytes)
            decodeOrCodecError(Set<Int16>.self, bytes)
        }
    }
}
