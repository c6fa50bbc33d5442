import Foundation
import Testing
@testable import LoomCore

// Types written without the Encoder (FastPath, PackedArrays): numeric arrays as raw bytes,
// [String], and packed arrays read back as other number types.

private struct Numbers: Codable, Equatable {
    var doubles: [Double]
    var ints: [Int]
    var bytes: [UInt8]
    var data: Data
    var floats: ContiguousArray<Float>
}

@Suite struct CodecFastPathTests {
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
}
