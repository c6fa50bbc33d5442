/// A value could not be encoded or decoded by `ValueCodec`, `ByteReader` or `ByteWriter`.
///
/// Decoders read bytes from other processes, so a bad input is an expected event, not a bug:
/// every problem becomes one of these instead of a trap. The message names what was wrong, the
/// byte offset and, when known, the coding path ("expected Int at items[3].price, found string
/// at byte 41"), because the bytes themselves are rarely at hand when the error is read.
public struct CodecError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The input ended in the middle of a value.
        public static let truncated = Code("truncated input")
        /// A varint is longer than 10 bytes or does not fit in 64 bits.
        public static let invalidVarint = Code("invalid varint")
        /// A byte where a value should start is not a known tag (or packed element kind).
        public static let invalidTag = Code("invalid tag")
        /// A string is not valid UTF-8.
        public static let invalidUTF8 = Code("invalid UTF-8")
        /// A length or count is larger than the bytes that remain could hold.
        public static let invalidLength = Code("invalid length")
        /// The value has a different kind than the type being decoded expects.
        public static let typeMismatch = Code("type mismatch")
        /// A number does not fit in the integer type being decoded.
        public static let numberOutOfRange = Code("number out of range")
        /// A keyed container lacks a key the type requires.
        public static let keyNotFound = Code("key not found")
        /// An unkeyed container has fewer elements than the type reads.
        public static let valueNotFound = Code("value not found")
        /// Containers are nested deeper than `ValueCodec.maximumDepth`.
        public static let depthLimitExceeded = Code("depth limit exceeded")
        /// Bytes remain after the top-level value.
        public static let trailingBytes = Code("trailing bytes")
        /// The type's own `init(from:)` rejected the data (see `underlying`).
        public static let invalidValue = Code("invalid value")
        /// The value's `encode(to:)` failed or misused the encoder (see `underlying`).
        public static let encodingFailed = Code("encoding failed")
    }

    public let code: Code
    public let message: String
    /// Where in the input the problem was found, when it concerns input bytes.
    public let offset: Int?
    /// The coding path of the value at fault (`items[3].price`), empty when unknown or top level.
    public let codingPath: String
    /// The error a type's own `init(from:)` or `encode(to:)` threw, when that is the cause.
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, offset: Int? = nil, codingPath: String = "", underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
        self.codingPath = codingPath
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }

    /// The same error, told where in the value it happened (if it did not know yet).
    ///
    /// `ByteReader` knows offsets but not paths; the decoder adds the path on the way out.
    func locating(_ path: CodingPath) -> CodecError {
        guard codingPath.isEmpty, !path.isRoot else { return self }
        let rendered = path.rendered
        return CodecError(code, "\(message) (in \(rendered))", offset: offset, codingPath: rendered, underlying: underlying)
    }
}

extension CodecError {
    @usableFromInline
    static func truncated(at offset: Int, needed: Int, remaining: Int) -> CodecError {
        CodecError(.truncated, "input ends at byte \(offset + remaining): needed \(needed) byte(s) at byte \(offset), \(remaining) remain", offset: offset)
    }

    static func typeMismatch(expected: String, found tag: UInt8, at offset: Int, path: CodingPath) -> CodecError {
        let rendered = path.rendered
        return CodecError(
            .typeMismatch, "expected \(expected) at \(rendered), found \(ValueTag.describe(tag)) at byte \(offset)",
            offset: offset, codingPath: path.isRoot ? "" : rendered)
    }
}
