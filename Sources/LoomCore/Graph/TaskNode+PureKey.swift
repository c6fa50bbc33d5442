extension TaskNode {
    /// A key that depends only on the call (Dask's `pure=True`): the function's name and
    /// signature, each literal argument's encoded bytes, and the keys of the results it reads.
    /// The same call submitted twice, by any client, is then one task, computed once.
    ///
    /// Throws, naming the function, when a literal argument is not `Encodable`.
    public func pureKey() throws -> Key {
        var hash = StableHash()
        hash.add(function.name)
        hash.add(function.signature)
        for input in inputs { try add(input, to: &hash) }
        // The top bit keeps these tokens apart from `Key.unique`'s counters.
        return Key(prefix: function.name, token: hash.value | 1 << 63)
    }

    private func add(_ input: NodeInput, to hash: inout StableHash) throws {
        switch input {
        case .literal(let value):
            guard let encodable = value as? any Encodable else {
                throw LoomError(.unsupported, "a pure key needs Encodable arguments; '\(function.name)' got a \(type(of: value))",
                                function: function.name)
            }
            hash.add(tag: 1)
            hash.add(try ValueCodec.encode(encodable))
        case .node(let node):
            hash.add(tag: 2)
            hash.add(node.key.description)
        case .existing(let key):
            hash.add(tag: 2)
            hash.add(key.description)
        case .list(let parts):
            hash.add(tag: 3)
            hash.add(UInt64(parts.count))
            for part in parts { try add(part, to: &hash) }
        }
    }
}

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
        for byte in bytes { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
}
