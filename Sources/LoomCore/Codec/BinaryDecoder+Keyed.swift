/// A keyed container being decoded: lookups go through the `KeyIndex` built when it opened.
struct KeyedBinaryDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let input: UnsafeRawBufferPointer
    let path: CodingPath
    /// The depth of this container; values in it are one deeper.
    let depth: Int
    let index: KeyIndex

    init(input: UnsafeRawBufferPointer, at offset: Int, path: CodingPath, depth: Int) throws(CodecError) {
        self.input = input
        self.path = path
        self.depth = depth
        self.index = try KeyIndex(input: input, at: offset, path: path, depth: depth)
    }

    var codingPath: [any CodingKey] { path.keys }

    var allKeys: [Key] {
        index.entries.compactMap { Key(stringValue: KeyIndex.string($0, in: input)) }
    }

    func contains(_ key: Key) -> Bool {
        index.find(key.stringValue, in: input) != nil
    }

    /// The offset of `key`'s value, or a `keyNotFound` error naming the container's keys.
    private func offset(of key: some CodingKey) throws(CodecError) -> Int {
        if let offset = index.find(key.stringValue, in: input) { return offset }
        let present = index.entries.prefix(8).map { "'\(KeyIndex.string($0, in: input))'" }.joined(separator: ", ")
        let where_ = path.rendered
        throw CodecError(
            .keyNotFound,
            "no value for key '\(key.stringValue)' at \(where_) (keys present: \(present.isEmpty ? "none" : present)\(index.entries.count > 8 ? ", ..." : ""))",
            codingPath: path.appending(key).rendered)
    }

    private func reader(for key: Key) throws(CodecError) -> ByteReader {
        ByteReader(input, offset: try offset(of: key))
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        var reader = try reader(for: key)
        return ScalarReader.null(&reader)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        var reader = try reader(for: key)
        return try ScalarReader.bool(&reader, path: path.appending(key))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        var reader = try reader(for: key)
        return try ScalarReader.string(&reader, path: path.appending(key))
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        var reader = try reader(for: key)
        return try ScalarReader.double(&reader, path: path.appending(key))
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        var reader = try reader(for: key)
        return try ScalarReader.float(&reader, path: path.appending(key))
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        var reader = try reader(for: key)
        return try ScalarReader.integer(Int.self, &reader, path: path.appending(key))
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(Int8.self, &reader, path: path.appending(key))
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(Int16.self, &reader, path: path.appending(key))
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(Int32.self, &reader, path: path.appending(key))
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(Int64.self, &reader, path: path.appending(key))
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        var reader = try reader(for: key)
        return try ScalarReader.integer(UInt.self, &reader, path: path.appending(key))
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(UInt8.self, &reader, path: path.appending(key))
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(UInt16.self, &reader, path: path.appending(key))
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(UInt32.self, &reader, path: path.appending(key))
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        var reader = try reader(for: key)
        return try ScalarReader.integer(UInt64.self, &reader, path: path.appending(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let offset = try offset(of: key)
        var end: Int?
        return try BinaryDecoder.decode(T.self, from: input, at: offset, path: path.appending(key), depth: depth + 1, end: &end)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let offset = try offset(of: key)
        return KeyedDecodingContainer(
            try KeyedBinaryDecodingContainer<NestedKey>(input: input, at: offset, path: path.appending(key), depth: depth + 1))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let offset = try offset(of: key)
        return try UnkeyedBinaryDecodingContainer(input: input, at: offset, path: path.appending(key), depth: depth + 1, owner: nil)
    }

    func superDecoder() throws -> any Decoder {
        try superDecoder(IndexKey.superKey)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try superDecoder(key)
    }

    private func superDecoder(_ key: some CodingKey) throws(CodecError) -> any Decoder {
        BinaryDecoder(input: input, offset: try offset(of: key), path: path.appending(key), depth: depth + 1)
    }
}
