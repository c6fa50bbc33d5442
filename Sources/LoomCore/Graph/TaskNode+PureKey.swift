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
