import Testing
@testable import LoomCore

/// Keys compare, hash and travel as prefix and token, never as formatted text.
@Suite struct KeyTests {
    let keys: [Key] = [
        Key(prefix: "inc", token: 0x1f), Key(prefix: "inc", token: 0), Key(prefix: "inc", token: .max), Key("inc"),
        Key("inc-1f"), Key(prefix: "", token: 7), Key(""), Key(prefix: "sümme", token: 1 << 40), "part-\(3)",
    ]

    @Test func aGeneratedKeyIsNotTheUserKeyThatPrintsAlike() {
        #expect(Key(prefix: "inc", token: 0x1f).description == "inc-1f")
        #expect(Key(prefix: "inc", token: 0x1f) != Key("inc-1f"))
        #expect(Set(keys).count == keys.count)
    }

    @Test func orderIsByPrefixThenTokenWithUserKeysFirst() {
        let sorted = keys.sorted()
        #expect(sorted.first == Key(""))
        #expect(Array(sorted.filter { $0.prefix == "inc" }) == [Key("inc"), Key(prefix: "inc", token: 0), Key(prefix: "inc", token: 0x1f), Key(prefix: "inc", token: .max)])
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a < b && !(b < a)) }
    }

    @Test func keysRoundTripThroughTheByteCodec() throws {
        var writer = ByteWriter()
        for key in keys { writer.writeKey(key) }
        let bytes = writer.bytes
        let decoded = try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            var keys: [Key] = []
            while !reader.isAtEnd { keys.append(try reader.readKey()) }
            return keys
        }
        #expect(decoded == keys)
        #expect(decoded.map(\.token) == keys.map(\.token), "a token of 0 stays a token")
    }

    @Test func aTruncatedKeyIsAnErrorNamingWhere() {
        var writer = ByteWriter()
        writer.writeKey(Key(prefix: "inc", token: 5))
        let bytes = Array(writer.bytes.dropLast(2))
        let error = #expect(throws: CodecError.self) {
            try bytes.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer)
                _ = try reader.readKey()
            }
        }
        #expect(error?.description.contains("key prefix of 3 bytes") == true)
    }
}
