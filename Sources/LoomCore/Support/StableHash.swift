/// FNV-1a over 64 bits: the same in every process and run, unlike Swift's seeded `Hasher`.
/// Each part is length-prefixed, so ("ab", "c") and ("a", "bc") hash apart.
struct StableHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(tag: UInt8) { mix(tag) }

    mutating func add(_ number: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
    }

    mutating func add(_ text: String) { add(Array(text.utf8)) }

    mutating func add(_ bytes: [UInt8]) {
        add(UInt64(bytes.count))
        add(unprefixed: bytes)
    }

    /// Bytes as they are, for input that separates its own parts.
    mutating func add(unprefixed bytes: some Sequence<UInt8>) {
        for byte in bytes { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
}
