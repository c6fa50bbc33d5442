/// An unkeyed container being decoded: an array of tagged values read in order, or a packed
/// numeric array (or bytes) read element by element when the type has no fast path for it
/// (e.g. `[Int16]`, or `[Int]` from a packed `Int32` array).
struct UnkeyedBinaryDecodingContainer: UnkeyedDecodingContainer {
    private enum Form {
        /// Tagged values; the next one starts at `position`.
        case values
        case packed(PackedRun)
    }

    let input: UnsafeRawBufferPointer
    let path: CodingPath
    let depth: Int
    private let form: Form
    /// The decoder whose whole value this container is, told the end offset once it is known.
    private let owner: BinaryDecoder?
    private var position: Int

    private let total: Int
    private(set) var currentIndex = 0

    init(input: UnsafeRawBufferPointer, at offset: Int, path: CodingPath, depth: Int, owner: BinaryDecoder?) throws(CodecError) {
        self.input = input
        self.path = path
        self.depth = depth
        self.owner = owner
        var reader = ByteReader(input, offset: offset)
        do throws(CodecError) {
            if let run = try PackedRun.read(&reader) {
                form = .packed(run)
                total = run.count
                position = run.end
                owner?.end = run.end
                return
            }
            let tag = try reader.readUInt8()
            guard tag == ValueTag.array else {
                throw CodecError.typeMismatch(expected: "array", found: tag, at: offset, path: path)
            }
            try ValueSkipper.checkDepth(depth, at: offset)
            total = try ValueSkipper.readCount(&reader, minimumEntrySize: 1, at: offset, of: "array")
            form = .values
            position = reader.offset
            if total == 0 { owner?.end = position }
        } catch {
            throw error.locating(path)
        }
    }

    var codingPath: [any CodingKey] { path.keys }
    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    private var elementPath: CodingPath { path.appending(index: currentIndex) }

    /// Moves past the element just read, which ended at `end` (skipped to find it if nil;
    /// packed elements have a fixed width and need neither).
    private mutating func advance(to end: Int?) throws(CodecError) {
        currentIndex += 1
        guard case .values = form else { return }
        if let end {
            position = end
        } else {
            position = try ValueSkipper.skip(input, at: position, depth: depth + 1)
        }
        if isAtEnd { owner?.end = position }
    }

    private func checkNotAtEnd(_ expected: @autoclosure () -> String) throws(CodecError) {
        guard isAtEnd else { return }
        throw CodecError(
            .valueNotFound, "expected \(expected()) at \(elementPath.rendered), but the array has only \(total) element(s)",
            offset: position, codingPath: elementPath.rendered)
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd("a value")
        guard case .values = form else { return false }
        var reader = ByteReader(input, offset: position)
        guard ScalarReader.null(&reader) else { return false }
        try advance(to: reader.offset)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try scalar("Bool") { reader, path throws(CodecError) in try ScalarReader.bool(&reader, path: path()) }
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try scalar("String") { reader, path throws(CodecError) in try ScalarReader.string(&reader, path: path()) }
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        if case .packed(let run) = form {
            try checkNotAtEnd("Double")
            guard case .float(let value) = run.element(currentIndex, in: input) else { return try integerAsFloat(Double.self, run) }
            try advance(to: nil)
            return value
        }
        return try scalar("Double") { reader, path throws(CodecError) in try ScalarReader.double(&reader, path: path()) }
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        if case .packed(let run) = form {
            try checkNotAtEnd("Float")
            guard case .float(let value) = run.element(currentIndex, in: input) else { return try integerAsFloat(Float.self, run) }
            guard let narrowed = Float(exactly: value) ?? (value.isNaN ? Float.nan : nil) else {
                throw packedOutOfRange(.float(value), Float.self, run)
            }
            try advance(to: nil)
            return narrowed
        }
        return try scalar("Float") { reader, path throws(CodecError) in try ScalarReader.float(&reader, path: path()) }
    }

    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd("\(T.self)")
        if case .packed(let run) = form { return try packedElement(T.self, run) }
        var end: Int?
        let value = try BinaryDecoder.decode(T.self, from: input, at: position, path: elementPath, depth: depth + 1, end: &end)
        try advance(to: end)
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try checkNotAtEnd("a keyed container")
        try checkNotPacked("a keyed container")
        let container = try KeyedBinaryDecodingContainer<NestedKey>(input: input, at: position, path: elementPath, depth: depth + 1)
        try advance(to: container.index.end)
        return KeyedDecodingContainer(container)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd("an array")
        try checkNotPacked("an array")
        let container = try UnkeyedBinaryDecodingContainer(input: input, at: position, path: elementPath, depth: depth + 1, owner: nil)
        try advance(to: nil)
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd("a value")
        try checkNotPacked("a value")
        let decoder = BinaryDecoder(input: input, offset: position, path: elementPath, depth: depth + 1)
        try advance(to: nil)
        return decoder
    }

    // MARK: Helpers

    /// Reads a tagged scalar with `read`, which gets the element's path lazily (it allocates).
    private mutating func scalar<V>(
        _ expected: String, _ read: (inout ByteReader, () -> CodingPath) throws(CodecError) -> V
    ) throws(CodecError) -> V {
        try checkNotAtEnd(expected)
        try checkNotPacked(expected)
        var reader = ByteReader(input, offset: position)
        let value = try read(&reader, { elementPath })
        try advance(to: reader.offset)
        return value
    }

    private mutating func integer<I: FixedWidthInteger>(_: I.Type) throws(CodecError) -> I {
        try checkNotAtEnd("\(I.self)")
        if case .packed(let run) = form {
            let converted: I?
            switch run.element(currentIndex, in: input) {
            case .signed(let value): converted = I(exactly: value)
            case .unsigned(let value): converted = I(exactly: value)
            case .float:
                throw CodecError(
                    .typeMismatch, "expected \(I.self) at \(elementPath.rendered), found a floating-point element of the packed array at byte \(elementOffset(run))",
                    offset: elementOffset(run), codingPath: elementPath.rendered)
            }
            guard let converted else { throw packedOutOfRange(run.element(currentIndex, in: input), I.self, run) }
            try advance(to: nil)
            return converted
        }
        var reader = ByteReader(input, offset: position)
        let value = try ScalarReader.integer(I.self, &reader, path: elementPath)
        try advance(to: reader.offset)
        return value
    }

    /// Integer elements read as floating point: allowed when exact (an `[Int]` read as `[Double]`).
    private mutating func integerAsFloat<F: BinaryFloatingPoint>(_: F.Type, _ run: PackedRun) throws(CodecError) -> F {
        let element = run.element(currentIndex, in: input)
        let converted: F? =
            switch element {
            case .signed(let value): F(exactly: value)
            case .unsigned(let value): F(exactly: value)
            case .float(let value): F(exactly: value)
            }
        guard let converted else { throw packedOutOfRange(element, F.self, run) }
        try advance(to: nil)
        return converted
    }

    /// A generic element of a packed run: only the number types can be one.
    private mutating func packedElement<T: Decodable>(_: T.Type, _ run: PackedRun) throws -> T {
        switch FastType(T.self) {
        case .int: return unsafeBitCast(try decode(Int.self), to: T.self)
        case .double: return unsafeBitCast(try decode(Double.self), to: T.self)
        case .float: return unsafeBitCast(try decode(Float.self), to: T.self)
        case .int64: return unsafeBitCast(try decode(Int64.self), to: T.self)
        case .int32: return unsafeBitCast(try decode(Int32.self), to: T.self)
        case .int16: return unsafeBitCast(try decode(Int16.self), to: T.self)
        case .int8: return unsafeBitCast(try decode(Int8.self), to: T.self)
        case .uint: return unsafeBitCast(try decode(UInt.self), to: T.self)
        case .uint64: return unsafeBitCast(try decode(UInt64.self), to: T.self)
        case .uint32: return unsafeBitCast(try decode(UInt32.self), to: T.self)
        case .uint16: return unsafeBitCast(try decode(UInt16.self), to: T.self)
        case .uint8: return unsafeBitCast(try decode(UInt8.self), to: T.self)
        default: throw packedMismatch("\(T.self)", run)
        }
    }

    private func checkNotPacked(_ expected: @autoclosure () -> String) throws(CodecError) {
        guard case .packed(let run) = form else { return }
        throw packedMismatch(expected(), run)
    }

    private func packedMismatch(_ expected: String, _ run: PackedRun) -> CodecError {
        CodecError(
            .typeMismatch,
            "expected \(expected) at \(elementPath.rendered), found an element of a packed numeric array at byte \(elementOffset(run))",
            offset: elementOffset(run), codingPath: elementPath.rendered)
    }

    private func elementOffset(_ run: PackedRun) -> Int { run.start + currentIndex * run.kind.width }

    private func packedOutOfRange(_ value: WideNumber, _ type: Any.Type, _ run: PackedRun) -> CodecError {
        let offset = elementOffset(run)
        return CodecError(
            .numberOutOfRange, "number \(value.description) at \(elementPath.rendered) does not fit in \(type)", offset: offset,
            codingPath: elementPath.rendered)
    }
}
