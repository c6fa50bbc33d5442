/// The `Encoder` for one value that has no fast path (a struct, an enum, an optional...).
///
/// It writes into `target`: either the box of the container holding the value, while the
/// value's `encode(to:)` runs, or a box of its own (for `superEncoder`, which may be used later).
/// It also serves as the single-value container, sparing an allocation per value.
final class BinaryEncoder: Encoder, SingleValueEncodingContainer {
    private enum State {
        case empty
        case single
        case keyed(EncodingBox)
        case unkeyed(EncodingBox)
    }

    let target: EncodingBox
    let path: CodingPath
    /// Whether `target` is this encoder's own box, usable at any time.
    private let ownsTarget: Bool
    private var state = State.empty
    private var finished = false
    private var misuse: CodecError?

    init(target: EncodingBox, path: CodingPath, ownsTarget: Bool) {
        self.target = target
        self.path = path
        self.ownsTarget = ownsTarget
    }

    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` as the next value in `box`: directly for fast-path types, else through
    /// an encoder that lives for the duration of its `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into box: EncodingBox, path: @autoclosure () -> CodingPath) throws {
        if FastPath.encode(value, into: &box.writer) { return }
        let encoder = BinaryEncoder(target: box, path: path(), ownsTarget: false)
        try value.encode(to: encoder)
        try encoder.finish()
    }

    /// Called when `encode(to:)` returns: reports misuse, and writes an empty container for a
    /// value that encoded nothing (as JSONEncoder writes `{}`).
    func finish() throws(CodecError) {
        finished = true
        if let misuse { throw misuse }
        if case .empty = state {
            target.writer.writeUInt8(ValueTag.map)
            target.writer.writeVarUInt(0)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        switch state {
        case .keyed(let box):
            return KeyedEncodingContainer(KeyedBinaryEncodingContainer(box: box, path: path))
        case .empty where canWrite:
            let box = target.splice(.map)
            state = .keyed(box)
            return KeyedEncodingContainer(KeyedBinaryEncodingContainer(box: box, path: path))
        default:
            return KeyedEncodingContainer(KeyedBinaryEncodingContainer(box: misused("a keyed container"), path: path))
        }
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        switch state {
        case .unkeyed(let box):
            return UnkeyedBinaryEncodingContainer(box: box, path: path)
        case .empty where canWrite:
            let box = target.splice(.array)
            state = .unkeyed(box)
            return UnkeyedBinaryEncodingContainer(box: box, path: path)
        default:
            return UnkeyedBinaryEncodingContainer(box: misused("an unkeyed container"), path: path)
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    /// Writing into a shared box is only correct while `encode(to:)` runs; afterwards the box
    /// has moved on to the next value.
    private var canWrite: Bool { ownsTarget || !finished }

    /// Records a misuse (asking for a second, different container; writing after `encode(to:)`
    /// returned) and returns a detached box whose writes throw it.
    private func misused(_ what: String) -> EncodingBox {
        let box = EncodingBox(.value)
        box.misuse = recordMisuse(what)
        return box
    }

    private func recordMisuse(_ what: String) -> CodecError {
        let error = CodecError(
            .encodingFailed,
            "the encode(to:) of the value at \(path.rendered) asked for \(what) after it had "
                + (finished ? "returned" : "already encoded a value or another kind of container"))
        if misuse == nil { misuse = error }
        return error
    }

    private func beginSingleValue() throws(CodecError) {
        guard case .empty = state, canWrite else {
            throw recordMisuse("a single value container")
        }
        state = .single
    }

    func encodeNil() throws {
        try beginSingleValue()
        target.writer.encodeNil()
    }

    func encode(_ value: Bool) throws {
        try beginSingleValue()
        target.writer.encodeBool(value)
    }

    func encode(_ value: String) throws {
        try beginSingleValue()
        target.writer.encodeString(value)
    }

    func encode(_ value: Double) throws {
        try beginSingleValue()
        target.writer.encodeDouble(value)
    }

    func encode(_ value: Float) throws {
        try beginSingleValue()
        target.writer.encodeFloat(value)
    }

    func encode(_ value: Int) throws { try encodeSigned(Int64(value)) }
    func encode(_ value: Int8) throws { try encodeSigned(Int64(value)) }
    func encode(_ value: Int16) throws { try encodeSigned(Int64(value)) }
    func encode(_ value: Int32) throws { try encodeSigned(Int64(value)) }
    func encode(_ value: Int64) throws { try encodeSigned(value) }
    func encode(_ value: UInt) throws { try encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt8) throws { try encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt16) throws { try encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt32) throws { try encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt64) throws { try encodeUnsigned(value) }

    func encode<T: Encodable>(_ value: T) throws {
        try beginSingleValue()
        try BinaryEncoder.encode(value, into: target, path: path)
    }

    private func encodeSigned(_ value: Int64) throws {
        try beginSingleValue()
        target.writer.encodeSigned(value)
    }

    private func encodeUnsigned(_ value: UInt64) throws {
        try beginSingleValue()
        target.writer.encodeUnsigned(value)
    }
}
