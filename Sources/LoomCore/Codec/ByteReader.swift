/// Reads what `ByteWriter` wrote, from memory the caller keeps alive.
///
/// Input comes from other processes, so every read is bounds-checked and a bad input throws a
/// `CodecError` naming the byte offset; nothing here traps. The reader borrows the memory (an
/// array's storage, a socket buffer) rather than copying it: use it inside the scope that owns
/// that memory, e.g. `ByteReader.read(bytes) { reader in ... }`.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    /// The position of the next read, from the start of `buffer`. Callers may move it (to skip
    /// or re-read); reads check it, so even an offset outside the buffer only makes them throw.
    public var offset: Int

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// Runs `body` with a reader over `bytes`.
    public static func read<R>(_ bytes: [UInt8], _ body: (inout ByteReader) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            return try body(&reader)
        }
    }

    public var remaining: Int { offset < 0 ? 0 : max(0, buffer.count - offset) }
    public var isAtEnd: Bool { offset >= buffer.count }

    /// Whether `offset` is a readable position (one unsigned comparison covers negative offsets).
    @inlinable
    var hasByte: Bool { UInt(bitPattern: offset) < UInt(bitPattern: buffer.count) }

    /// Throws unless `count` more bytes are available.
    @inlinable
    public func require(_ count: Int) throws(CodecError) {
        guard count >= 0, offset >= 0, count <= buffer.count - offset else {
            throw CodecError.truncated(at: offset, needed: count, remaining: remaining)
        }
    }

    @inlinable
    public mutating func readUInt8() throws(CodecError) -> UInt8 {
        guard hasByte else {
            throw CodecError.truncated(at: offset, needed: 1, remaining: 0)
        }
        defer { offset += 1 }
        return buffer[offset]
    }

    /// The next byte, without consuming it.
    @inlinable
    public func peekUInt8() throws(CodecError) -> UInt8 {
        guard hasByte else {
            throw CodecError.truncated(at: offset, needed: 1, remaining: 0)
        }
        return buffer[offset]
    }

    /// A LEB128 varint. Rejects encodings longer than 10 bytes and values above `UInt64.max`,
    /// so a corrupt input cannot make the reader loop or wrap around.
    @inlinable
    public mutating func readVarUInt() throws(CodecError) -> UInt64 {
        // One-byte values (tags' payloads, short lengths) are by far the most common.
        if hasByte, buffer[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(buffer[offset])
        }
        return try readVarUIntSlow()
    }

    @usableFromInline
    mutating func readVarUIntSlow() throws(CodecError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var position = offset
        while true {
            guard UInt(bitPattern: position) < UInt(bitPattern: buffer.count) else {
                throw CodecError(.truncated, "varint starting at byte \(start) is cut off by the end of input at byte \(position)", offset: start)
            }
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 {
                let what = byte & 0x80 != 0 ? "longer than 10 bytes" : "larger than UInt64.max"
                throw CodecError(.invalidVarint, "varint at byte \(start) is \(what)", offset: start)
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        offset = position
        return result
    }

    /// A zigzag varint (see `ByteWriter.writeVarInt`).
    @inlinable
    public mutating func readVarInt() throws(CodecError) -> Int64 {
        let raw = try readVarUInt()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @inlinable
    public mutating func readFixed32LE() throws(CodecError) -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public mutating func readFixed64LE() throws(CodecError) -> UInt64 {
        try require(8)
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The next `count` bytes, borrowed from the input (valid as long as the input is).
    @inlinable
    public mutating func readBytes(_ count: Int) throws(CodecError) -> UnsafeRawBufferPointer {
        try require(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
    }

    /// The next `count` bytes, copied.
    public mutating func readByteArray(_ count: Int) throws(CodecError) -> [UInt8] {
        Array(try readBytes(count))
    }

    /// A varint length, then that many bytes (borrowed). The length is checked against the
    /// remaining input before anything is read, so a huge declared length throws at once.
    @inlinable
    public mutating func readLengthPrefixed() throws(CodecError) -> UnsafeRawBufferPointer {
        let start = offset
        let length = try readVarUInt()
        guard length <= UInt64(remaining) else {
            throw CodecError(
                .invalidLength, "length \(length) at byte \(start) exceeds the \(remaining) byte(s) that remain", offset: start)
        }
        return try readBytes(Int(length))
    }

    /// A length-prefixed string; throws unless it is valid UTF-8.
    public mutating func readString() throws(CodecError) -> String {
        let start = offset
        let bytes = try readLengthPrefixed()
        return try ByteReader.string(bytes, at: start)
    }

    /// A key as `ByteWriter.writeKey` wrote it; throws on a bad length or invalid UTF-8.
    public mutating func readKey() throws(CodecError) -> Key {
        let start = offset
        let head = try readVarUInt()
        let length = head >> 1
        guard length <= UInt64(remaining) else {
            throw CodecError(
                .invalidLength, "key prefix of \(length) bytes at byte \(start) exceeds the \(remaining) byte(s) that remain", offset: start)
        }
        let prefix = try ByteReader.string(try readBytes(Int(length)), at: start)
        return head & 1 == 1 ? Key(prefix: prefix, token: try readVarUInt()) : Key(prefix)
    }

    /// Validates and copies `bytes` into a String.
    /// ASCII (nearly every key and most strings) is checked inline; `String(validating:)` is
    /// generic and unspecialized in the standard library, so it is kept for the rest.
    static func string(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(CodecError) -> String {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        let string = bytes.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
        guard let string else {
            throw CodecError(.invalidUTF8, "string at byte \(offset) is not valid UTF-8", offset: offset)
        }
        return string
    }

    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < count {
            if bytes[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }
}
