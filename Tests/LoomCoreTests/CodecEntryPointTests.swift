import Foundation
import Testing
@testable import LoomCore

// ValueCodec's other ways in and out: encoding into a buffer, decoding from borrowed memory,
// and a list composed of values encoded one by one.

@Suite struct CodecEntryPointTests {
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
}
