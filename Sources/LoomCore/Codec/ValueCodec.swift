/// Encodes `Codable` values to Loom's binary value format and back.
///
/// Task arguments and results cross process boundaries in this format. It is self-describing
/// (every value starts with a tag), so keyed containers tolerate missing and reordered keys and a
/// decoder can skip what it does not read; it is compact for small numbers (varints) and fast for
/// numeric arrays (raw little-endian bytes, copied in one go). Decoding never traps on bad input:
/// every problem is a `CodecError` naming the byte offset and, when known, the coding path.
///
/// ## Format
///
/// A value is one tag byte followed by its payload. Varints are LEB128 (7 bits per byte, low
/// group first, at most 10 bytes); zigzag maps signed n to unsigned (n << 1) ^ (n >> 63).
///
///     tag   value               payload
///     0x00  nil                 -
///     0x01  false               -
///     0x02  true                -
///     0x03  signed integer      zigzag varint          (Int, Int8 ... Int64)
///     0x04  unsigned integer    varint                 (UInt, UInt8 ... UInt64)
///     0x05  Float               4 bytes, IEEE 754 binary32, little-endian
///     0x06  Double              8 bytes, IEEE 754 binary64, little-endian
///     0x07  string              varint byte count, UTF-8 bytes
///     0x08  bytes               varint byte count, raw bytes   (Data, [UInt8])
///     0x09  array               varint count, that many values (unkeyed containers)
///     0x0A  map                 varint count, that many entries: key (varint byte count,
///                               UTF-8 bytes, no tag) then value (keyed containers; an integer
///                               coding key is written as its string value)
///     0x0B  packed array        element kind (1 byte), varint count, count × width bytes of
///                               little-endian elements
///
///     kind  element   width          kind  element   width
///     0x01  UInt8     1              0x05  UInt64    8
///     0x02  Int32     4              0x06  Float     4
///     0x03  Int64     8              0x07  Double    8
///     0x04  UInt32    4
///
/// `[Double]`, `[Float]`, `[Int]` (as Int64), `[Int32]`, `[Int64]`, `[UInt32]`, `[UInt64]` and
/// their `ContiguousArray`s are written packed; `[UInt8]`, `ContiguousArray<UInt8>` and `Data`
/// as bytes. Readers of those types also accept the generic array form, and a generic array
/// reader accepts a packed array or bytes whose elements convert exactly. Integers read into any
/// integer type they fit; a Float reads as a Double, and a Double as a Float when exact.
///
/// A map may repeat a key (the last value wins). A top-level value must use the whole input.
/// Decoders refuse containers nested deeper than `maximumDepth`, counts and lengths larger than
/// the remaining input could hold, overlong varints, invalid UTF-8 and unknown tags.
///
/// An optional is its value or nil; an enum, a set, a `Date` or a `URL` is whatever its own
/// `Codable` conformance writes (a map for an enum case, an array for a set, a Double of seconds
/// since 2001 for a date, a string for a URL).
public enum ValueCodec {
    /// Containers (arrays and maps) may nest this deep in a decoded value; deeper inputs throw
    /// `CodecError.Code.depthLimitExceeded`, so a hostile input cannot exhaust the stack.
    public static let maximumDepth = 256

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let fast = FastType(T.self)
        if fast != .none {
            var writer = ByteWriter(capacity: 16)
            _ = FastPath.encode(value, as: fast, into: &writer)
            return writer.bytes
        }
        var writer = ByteWriter()
        try encodeGeneric(value, into: &writer)
        return writer.bytes
    }

    /// Appends the encoding of `value` to `buffer`.
    public static func encode<T: Encodable>(_ value: T, into buffer: inout [UInt8]) throws {
        var writer = ByteWriter()
        swap(&writer.bytes, &buffer)
        defer { swap(&writer.bytes, &buffer) }
        if FastPath.encode(value, into: &writer) { return }
        let start = writer.count
        do {
            try encodeGeneric(value, into: &writer)
        } catch {
            writer.bytes.removeSubrange(start...)
            throw error
        }
    }

    private static func encodeGeneric<T: Encodable>(_ value: T, into writer: inout ByteWriter) throws(CodecError) {
        let root = EncodingBox(.value)
        do {
            try BinaryEncoder.encode(value, into: root, path: .root)
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError(.encodingFailed, "encoding \(T.self) failed: \(describe(error))", underlying: error)
        }
        writer.bytes.reserveCapacity(writer.count + root.serializedSize)
        root.serialize(into: &writer)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        do {
            var end: Int?
            let value = try BinaryDecoder.decode(T.self, from: bytes, at: 0, path: .root, depth: 0, end: &end)
            var valueEnd = end ?? 0
            if end == nil { valueEnd = try ValueSkipper.skip(bytes, at: 0, depth: 0) }
            guard valueEnd == bytes.count else {
                throw CodecError(
                    .trailingBytes, "\(bytes.count - valueEnd) byte(s) follow the \(T.self) value, from byte \(valueEnd)",
                    offset: valueEnd)
            }
            return value
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError(.invalidValue, "\(T.self) rejected the decoded data: \(describe(error))", underlying: error)
        }
    }

    /// The encoding of an array whose elements are already encoded: an array header over their
    /// concatenation, so `decode([X].self, from: encodeList(of: xs.map { try encode($0) }))`
    /// equals `xs` for every `Codable` X (readers of packed arrays accept this form too).
    public static func encodeList(of encodedElements: [[UInt8]]) -> [UInt8] {
        var writer = ByteWriter(capacity: encodedElements.reduce(11) { $0 + $1.count })
        writer.writeUInt8(ValueTag.array)
        writer.writeVarUInt(UInt64(encodedElements.count))
        for element in encodedElements { writer.writeBytes(element) }
        return writer.bytes
    }

    /// A one-line account of an error a type's own `Codable` code threw, with its coding path.
    private static func describe(_ error: any Error) -> String {
        let context: DecodingError.Context
        switch error {
        case DecodingError.dataCorrupted(let c), DecodingError.keyNotFound(_, let c),
            DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            context = c
        case EncodingError.invalidValue(_, let c):
            return c.codingPath.isEmpty ? c.debugDescription : "\(c.debugDescription) (at \(render(c.codingPath)))"
        default:
            return "\(error)"
        }
        return context.codingPath.isEmpty ? context.debugDescription : "\(context.debugDescription) (at \(render(context.codingPath)))"
    }

    private static func render(_ keys: [any CodingKey]) -> String {
        var path = CodingPath.root
        for key in keys { path = path.appending(key) }
        return path.rendered
    }
}
