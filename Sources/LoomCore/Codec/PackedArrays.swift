/// A number type whose arrays travel as raw little-endian bytes, copied in one go.
///
/// Numeric arrays are the bulk of what a parallel computation ships; writing them element by
/// element through `Encoder` costs a tag and a varint per number and a call per element.
/// Packed, a million doubles are one memcpy each way.
protocol PackedElement: BitwiseCopyable {
    static var packedKind: PackedKind { get }
    /// The value with its bytes reversed, for big-endian hosts (the wire is little-endian).
    var byteSwapped: Self { get }
}

extension UInt8: PackedElement { static var packedKind: PackedKind { .uint8 } }
extension Int32: PackedElement { static var packedKind: PackedKind { .int32 } }
extension Int64: PackedElement { static var packedKind: PackedKind { .int64 } }
extension UInt32: PackedElement { static var packedKind: PackedKind { .uint32 } }
extension UInt64: PackedElement { static var packedKind: PackedKind { .uint64 } }
extension Int: PackedElement { static var packedKind: PackedKind { MemoryLayout<Int>.size == 8 ? .int64 : .int32 } }
extension Float: PackedElement {
    static var packedKind: PackedKind { .float32 }
    var byteSwapped: Float { Float(bitPattern: bitPattern.byteSwapped) }
}
extension Double: PackedElement {
    static var packedKind: PackedKind { .float64 }
    var byteSwapped: Double { Double(bitPattern: bitPattern.byteSwapped) }
}

extension ByteWriter {
    /// Writes `elements` in the packed form, or the bytes form for `UInt8`.
    mutating func encodePacked<E: PackedElement>(_ elements: UnsafeBufferPointer<E>) {
        if E.packedKind == .uint8 {
            writeUInt8(ValueTag.bytes)
        } else {
            writeUInt8(ValueTag.packed)
            writeUInt8(E.packedKind.rawValue)
        }
        writeVarUInt(UInt64(elements.count))
        #if _endian(little)
        writeBytes(UnsafeRawBufferPointer(elements))
        #else
        for element in elements {
            withUnsafeBytes(of: element.byteSwapped) { writeBytes($0) }
        }
        #endif
    }

    mutating func encodePacked<E: PackedElement>(_ elements: [E]) {
        elements.withUnsafeBufferPointer { encodePacked($0) }
    }

    mutating func encodePacked<E: PackedElement>(_ elements: ContiguousArray<E>) {
        elements.withUnsafeBufferPointer { encodePacked($0) }
    }

    mutating func encodeBytes(_ bytes: UnsafeRawBufferPointer) {
        writeUInt8(ValueTag.bytes)
        writeLengthPrefixed(bytes)
    }
}

/// The location of a packed (or bytes) array's elements in the input.
struct PackedRun {
    let kind: PackedKind
    let count: Int
    /// Offset of the first element.
    let start: Int

    var end: Int { start + count * kind.width }

    /// Reads the header of a packed or bytes value at `reader`'s position, or returns nil
    /// (consuming nothing) if the value there has another form.
    static func read(_ reader: inout ByteReader) throws(CodecError) -> PackedRun? {
        let start = reader.offset
        guard reader.offset < reader.buffer.count else { return nil }
        let tag = reader.buffer[reader.offset]
        guard tag == ValueTag.packed || tag == ValueTag.bytes else { return nil }
        reader.offset += 1
        var kind = PackedKind.uint8
        if tag == ValueTag.packed {
            let raw = try reader.readUInt8()
            guard let known = PackedKind(rawValue: raw) else {
                throw CodecError(.invalidTag, "unknown packed element kind 0x\(String(raw, radix: 16)) at byte \(start + 1)", offset: start + 1)
            }
            kind = known
        }
        let countOffset = reader.offset
        let count = try reader.readVarUInt()
        guard count <= UInt64(reader.remaining / kind.width) else {
            throw CodecError(
                .invalidLength, "packed array at byte \(start) declares \(count) element(s) of \(kind.width) byte(s) but only \(reader.remaining) byte(s) remain",
                offset: countOffset)
        }
        let run = PackedRun(kind: kind, count: Int(count), start: reader.offset)
        reader.offset = run.end
        return run
    }

    /// The elements' bytes.
    func bytes(in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[start..<end])
    }

    /// Copies the elements out; the run's kind must be `E`'s.
    func copy<E: PackedElement>(_: E.Type, from input: UnsafeRawBufferPointer) -> [E] {
        [E](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer), E.self, from: input)
            initialized = count
        }
    }

    func copyContiguous<E: PackedElement>(_: E.Type, from input: UnsafeRawBufferPointer) -> ContiguousArray<E> {
        ContiguousArray<E>(unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer), E.self, from: input)
            initialized = count
        }
    }

    private func fill<E: PackedElement>(_ destination: UnsafeMutableRawBufferPointer, _: E.Type, from input: UnsafeRawBufferPointer) {
        guard count > 0 else { return }
        destination.copyMemory(from: bytes(in: input))
        #if !_endian(little)
        let typed = destination.bindMemory(to: E.self)
        for index in typed.indices { typed[index] = typed[index].byteSwapped }
        #endif
    }

    /// Element `index` widened to the common type of its kind, for per-element decoding.
    func element(_ index: Int, in input: UnsafeRawBufferPointer) -> WideNumber {
        let offset = start + index * kind.width
        switch kind {
        case .uint8: return .unsigned(UInt64(input[offset]))
        case .int32: return .signed(Int64(Int32(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: Int32.self))))
        case .int64: return .signed(Int64(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .uint32: return .unsigned(UInt64(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
        case .uint64: return .unsigned(UInt64(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        case .float32:
            return .float(Double(Float(bitPattern: UInt32(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))))
        default: return .float(Double(bitPattern: UInt64(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
        }
    }
}

/// A number as read from the wire (a tagged integer or a packed element), widened so that any
/// integer or float type can be checked against it for an exact conversion.
enum WideNumber {
    case signed(Int64)
    case unsigned(UInt64)
    case float(Double)
}

extension WideNumber: CustomStringConvertible {
    var description: String {
        switch self {
        case .signed(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .float(let value): "\(value)"
        }
    }
}
