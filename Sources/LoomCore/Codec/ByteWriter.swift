/// Appends the primitive pieces of Loom's wire formats to a byte array.
///
/// One small set of primitives (varints, zigzag, little-endian fixed width, length-prefixed
/// bytes) serves both `ValueCodec` and message framing, so every format Loom puts on a wire reads
/// with the same `ByteReader`. Writing cannot fail: it only appends.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init() { bytes = [] }

    /// Starts with room for `capacity` bytes, to avoid regrowing when the size is roughly known.
    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Continues an existing buffer (appending after its contents).
    public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    /// LEB128: 7 bits per byte, low group first, high bit set on all bytes but the last.
    /// Small numbers (the common case for counts, lengths and tags) take one byte.
    @inlinable
    public mutating func writeVarUInt(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// How many bytes `writeVarUInt(value)` writes.
    @inlinable
    public static func varUIntSize(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    /// Zigzag maps small negative numbers to small unsigned ones (0, -1, 1, -2 → 0, 1, 2, 3)
    /// so they stay short as varints.
    @inlinable
    public mutating func writeVarInt(_ value: Int64) {
        writeVarUInt(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    public mutating func writeFixed32LE(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeFixed64LE(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Raw bytes, no length: the reader must know the count from elsewhere.
    @inlinable
    public mutating func writeBytes(_ source: some Collection<UInt8>) {
        bytes.append(contentsOf: source)
    }

    @inlinable
    public mutating func writeBytes(_ source: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: source)
    }

    /// A varint byte count, then the bytes.
    @inlinable
    public mutating func writeLengthPrefixed(_ source: some Collection<UInt8>) {
        writeVarUInt(UInt64(source.count))
        bytes.append(contentsOf: source)
    }

    @inlinable
    public mutating func writeLengthPrefixed(_ source: UnsafeRawBufferPointer) {
        writeVarUInt(UInt64(source.count))
        bytes.append(contentsOf: source)
    }

    /// A length-prefixed UTF-8 string.
    @inlinable
    public mutating func writeString(_ string: String) {
        let utf8 = string.utf8
        writeVarUInt(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A key as it travels (docs/protocol.md): varint `prefix length << 1 | has token`, the
    /// prefix's UTF-8, then the token as a varint if there is one. Nothing is formatted.
    public mutating func writeKey(_ key: Key) {
        let utf8 = key.prefix.utf8
        writeVarUInt(UInt64(utf8.count) << 1 | (key.token == nil ? 0 : 1))
        bytes.append(contentsOf: utf8)
        if let token = key.token { writeVarUInt(token) }
    }
}
