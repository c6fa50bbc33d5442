/// A keyed container: a map whose keys are the coding keys' string values (an integer key is
/// written as its string value, as JSON does).
struct KeyedBinaryEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let path: CodingPath

    var codingPath: [any CodingKey] { path.keys }

    private func writeKey(_ key: some CodingKey) throws(CodecError) {
        try box.checkUsable()
        box.count += 1
        box.writer.writeString(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        try writeKey(key)
        box.writer.encodeNil()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try writeKey(key)
        box.writer.encodeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try writeKey(key)
        box.writer.encodeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try writeKey(key)
        box.writer.encodeDouble(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try writeKey(key)
        box.writer.encodeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try encodeSigned(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encodeSigned(Int64(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encodeSigned(Int64(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encodeSigned(Int64(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try encodeSigned(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try encodeUnsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encodeUnsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encodeUnsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encodeUnsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try encodeUnsigned(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try writeKey(key)
        try BinaryEncoder.encode(value, into: box, path: path.appending(key))
    }

    private func encodeSigned(_ value: Int64, _ key: Key) throws(CodecError) {
        try writeKey(key)
        box.writer.encodeSigned(value)
    }

    private func encodeUnsigned(_ value: UInt64, _ key: Key) throws(CodecError) {
        try writeKey(key)
        box.writer.encodeUnsigned(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = nested(.map, forKey: key)
        return KeyedEncodingContainer(KeyedBinaryEncodingContainer<NestedKey>(box: child, path: path.appending(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        UnkeyedBinaryEncodingContainer(box: nested(.array, forKey: key), path: path.appending(key))
    }

    mutating func superEncoder() -> any Encoder {
        BinaryEncoder(target: nested(.value, forKey: IndexKey.superKey), path: path.appending(IndexKey.superKey), ownsTarget: true)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BinaryEncoder(target: nested(.value, forKey: key), path: path.appending(key), ownsTarget: true)
    }

    /// Writes the key and splices in a box for its value. Cannot throw (the protocol's methods
    /// do not), so a misused box hands its error on to the child, whose writes throw it.
    private func nested(_ kind: EncodingBox.Kind, forKey key: some CodingKey) -> EncodingBox {
        box.count += 1
        box.writer.writeString(key.stringValue)
        return box.splice(kind)
    }
}

/// An unkeyed container: an array of tagged values.
struct UnkeyedBinaryEncodingContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let path: CodingPath

    var codingPath: [any CodingKey] { path.keys }
    var count: Int { box.count }

    private func next() throws(CodecError) {
        try box.checkUsable()
        box.count += 1
    }

    mutating func encodeNil() throws {
        try next()
        box.writer.encodeNil()
    }

    mutating func encode(_ value: Bool) throws {
        try next()
        box.writer.encodeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try next()
        box.writer.encodeString(value)
    }

    mutating func encode(_ value: Double) throws {
        try next()
        box.writer.encodeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        try next()
        box.writer.encodeFloat(value)
    }

    mutating func encode(_ value: Int) throws { try encodeSigned(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try encodeSigned(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try encodeSigned(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try encodeSigned(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try encodeSigned(value) }
    mutating func encode(_ value: UInt) throws { try encodeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try encodeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try encodeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try encodeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try encodeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = box.count
        try next()
        try BinaryEncoder.encode(value, into: box, path: path.appending(index: index))
    }

    private func encodeSigned(_ value: Int64) throws(CodecError) {
        try next()
        box.writer.encodeSigned(value)
    }

    private func encodeUnsigned(_ value: UInt64) throws(CodecError) {
        try next()
        box.writer.encodeUnsigned(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = box.count
        return KeyedEncodingContainer(KeyedBinaryEncodingContainer<NestedKey>(box: nested(.map), path: path.appending(index: index)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = box.count
        return UnkeyedBinaryEncodingContainer(box: nested(.array), path: path.appending(index: index))
    }

    mutating func superEncoder() -> any Encoder {
        let index = box.count
        return BinaryEncoder(target: nested(.value), path: path.appending(index: index), ownsTarget: true)
    }

    private func nested(_ kind: EncodingBox.Kind) -> EncodingBox {
        box.count += 1
        return box.splice(kind)
    }
}
