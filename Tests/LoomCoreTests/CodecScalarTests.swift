import Foundation
import Testing
@testable import LoomCore

// The primitives every value is built of: varints, zigzag, fixed-width and length-prefixed
// bytes (ByteWriter, ByteReader), and single scalars at their bounds (ScalarCoding).

@Suite struct CodecScalarTests {
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
}
