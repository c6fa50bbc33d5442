import Foundation
import Testing
@testable import LoomCore

// Bad input throws a CodecError that says what was wrong and where: type mismatches, missing
// keys, trailing and truncated bytes, huge declared counts, nesting too deep.

/// A recursive type for depth tests: each level is a keyed container holding an array.
private struct Nest: Codable {
    var children: [Nest]
}

@Suite struct CodecErrorTests {
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
}
