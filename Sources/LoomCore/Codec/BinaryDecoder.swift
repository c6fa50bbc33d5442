/// The `Decoder` for one value that has no fast path, reading it in place from the input.
///
/// It borrows the caller's memory (no copy of the input is made), so it must not outlive the
/// `init(from:)` it is passed to; `ValueCodec.decode` keeps the memory alive for that long.
/// It also serves as the single-value container, sparing an allocation per value.
final class BinaryDecoder: Decoder, SingleValueDecodingContainer {
    let input: UnsafeRawBufferPointer
    /// Where the value starts.
    let offset: Int
    let path: CodingPath
    /// How many containers enclose this value.
    let depth: Int
    /// Where the value ends, once something has read far enough to know; an unkeyed container
    /// that is read only in part leaves it nil and the caller skips the value instead.
    var end: Int?

    init(input: UnsafeRawBufferPointer, offset: Int, path: CodingPath, depth: Int) {
        self.input = input
        self.offset = offset
        self.path = path
        self.depth = depth
    }

    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Decodes a `T` at `offset`: directly for fast-path types, else through a decoder.
    /// Sets `end` to the offset after the value if that became known.
    static func decode<T: Decodable>(
        _: T.Type, from input: UnsafeRawBufferPointer, at offset: Int, path: @autoclosure () -> CodingPath, depth: Int,
        end: inout Int?
    ) throws -> T {
        let fast = FastType(T.self)
        if FastPath.accepts(fast, input, at: offset) {
            var fastEnd = 0
            defer { end = fastEnd }
            return try FastPath.decode(T.self, fast, from: input, at: offset, end: &fastEnd, path: path())
        }
        let decoder = BinaryDecoder(input: input, offset: offset, path: path(), depth: depth)
        defer { end = decoder.end }
        return try T(from: decoder)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try KeyedBinaryDecodingContainer<Key>(input: input, at: offset, path: path, depth: depth)
        end = container.index.end
        return KeyedDecodingContainer(container)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try UnkeyedBinaryDecodingContainer(input: input, at: offset, path: path, depth: depth, owner: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: Single value

    func decodeNil() -> Bool {
        var reader = ByteReader(input, offset: offset)
        guard ScalarReader.null(&reader) else { return false }
        end = reader.offset
        return true
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        return try ScalarReader.bool(&reader, path: path)
    }

    func decode(_ type: String.Type) throws -> String {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        return try ScalarReader.string(&reader, path: path)
    }

    func decode(_ type: Double.Type) throws -> Double {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        return try ScalarReader.double(&reader, path: path)
    }

    func decode(_ type: Float.Type) throws -> Float {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        return try ScalarReader.float(&reader, path: path)
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    /// A wrapped value is read by the same decoder, as JSONDecoder does: a single-value
    /// container adds no level to the data.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let fast = FastType(T.self)
        if FastPath.accepts(fast, input, at: offset) {
            var fastEnd = 0
            defer { end = fastEnd }
            return try FastPath.decode(T.self, fast, from: input, at: offset, end: &fastEnd, path: path)
        }
        return try T(from: self)
    }

    private func integer<I: FixedWidthInteger>(_: I.Type) throws(CodecError) -> I {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        return try ScalarReader.integer(I.self, &reader, path: path)
    }
}
