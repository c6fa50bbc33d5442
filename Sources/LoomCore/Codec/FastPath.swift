import Foundation

/// Types written and read without the `Encoder`/`Decoder` machinery.
///
/// Scalars are the hot path of a scheduler that ships millions of small results, and numeric
/// arrays are the bulk of its data; both skip allocating an encoder per value. Callers are
/// mostly unspecialized generic code (`encode<T>` called through `Encodable`), so the type test
/// is a non-generic comparison of metatypes and the value is reinterpreted with
/// `unsafeBitCast` once its type is known: no generic metadata is instantiated per value.
/// A new fast type needs a case here and in `FastPath.encode` and `FastPath.decode`.
enum FastType: Equatable {
    case int, string, double, bool
    case int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, float
    case data
    case array(PackedElementType, contiguous: Bool)
    /// `[String]`: not packed, but common enough (names, tags, keys) to skip an encoder for.
    case strings
    case none

    /// Which fast path `type` has. Scalars are tested first: they are the most frequent.
    init(_ type: Any.Type) {
        if type == Int.self { self = .int }
        else if type == String.self { self = .string }
        else if type == Double.self { self = .double }
        else if type == Bool.self { self = .bool }
        else if type == Int64.self { self = .int64 }
        else if type == Int32.self { self = .int32 }
        else if type == Int16.self { self = .int16 }
        else if type == Int8.self { self = .int8 }
        else if type == UInt.self { self = .uint }
        else if type == UInt64.self { self = .uint64 }
        else if type == UInt32.self { self = .uint32 }
        else if type == UInt16.self { self = .uint16 }
        else if type == UInt8.self { self = .uint8 }
        else if type == Float.self { self = .float }
        else if type == [Double].self { self = .array(.double, contiguous: false) }
        else if type == [Int].self { self = .array(.int, contiguous: false) }
        else if type == [UInt8].self { self = .array(.uint8, contiguous: false) }
        else if type == Data.self { self = .data }
        else if type == [String].self { self = .strings }
        else if type == [Float].self { self = .array(.float, contiguous: false) }
        else if type == [Int64].self { self = .array(.int64, contiguous: false) }
        else if type == [Int32].self { self = .array(.int32, contiguous: false) }
        else if type == [UInt64].self { self = .array(.uint64, contiguous: false) }
        else if type == [UInt32].self { self = .array(.uint32, contiguous: false) }
        else if type == ContiguousArray<Double>.self { self = .array(.double, contiguous: true) }
        else if type == ContiguousArray<Int>.self { self = .array(.int, contiguous: true) }
        else if type == ContiguousArray<UInt8>.self { self = .array(.uint8, contiguous: true) }
        else if type == ContiguousArray<Float>.self { self = .array(.float, contiguous: true) }
        else if type == ContiguousArray<Int64>.self { self = .array(.int64, contiguous: true) }
        else if type == ContiguousArray<Int32>.self { self = .array(.int32, contiguous: true) }
        else if type == ContiguousArray<UInt64>.self { self = .array(.uint64, contiguous: true) }
        else if type == ContiguousArray<UInt32>.self { self = .array(.uint32, contiguous: true) }
        else { self = .none }
    }
}

/// The element types of the packed-array fast path.
enum PackedElementType: Equatable {
    case double, float, int, int64, int32, uint8, uint64, uint32

    var kind: PackedKind {
        switch self {
        case .double: .float64
        case .float: .float32
        case .int: Int.packedKind
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .uint64: .uint64
        case .uint32: .uint32
        }
    }
}

enum FastPath {
    /// Writes `value` if its type has a fast path and returns true; false otherwise.
    @inline(__always)
    static func encode<T: Encodable>(_ value: T, into writer: inout ByteWriter) -> Bool {
        encode(value, as: FastType(T.self), into: &writer)
    }

    /// Writes `value`, whose fast type is `type`, if that is not `.none`.
    @inline(__always)
    static func encode<T: Encodable>(_ value: T, as type: FastType, into writer: inout ByteWriter) -> Bool {
        switch type {
        case .int: writer.encodeSigned(Int64(unsafeBitCast(value, to: Int.self)))
        case .string: writer.encodeString(unsafeBitCast(value, to: String.self))
        case .double: writer.encodeDouble(unsafeBitCast(value, to: Double.self))
        case .bool: writer.encodeBool(unsafeBitCast(value, to: Bool.self))
        case .none: return false
        default: encodeOther(value, type, into: &writer)
        }
        return true
    }

    private static func encodeOther<T: Encodable>(_ value: T, _ type: FastType, into writer: inout ByteWriter) {
        switch type {
        case .int64: writer.encodeSigned(unsafeBitCast(value, to: Int64.self))
        case .int32: writer.encodeSigned(Int64(unsafeBitCast(value, to: Int32.self)))
        case .int16: writer.encodeSigned(Int64(unsafeBitCast(value, to: Int16.self)))
        case .int8: writer.encodeSigned(Int64(unsafeBitCast(value, to: Int8.self)))
        case .uint: writer.encodeUnsigned(UInt64(unsafeBitCast(value, to: UInt.self)))
        case .uint64: writer.encodeUnsigned(unsafeBitCast(value, to: UInt64.self))
        case .uint32: writer.encodeUnsigned(UInt64(unsafeBitCast(value, to: UInt32.self)))
        case .uint16: writer.encodeUnsigned(UInt64(unsafeBitCast(value, to: UInt16.self)))
        case .uint8: writer.encodeUnsigned(UInt64(unsafeBitCast(value, to: UInt8.self)))
        case .float: writer.encodeFloat(unsafeBitCast(value, to: Float.self))
        case .data: unsafeBitCast(value, to: Data.self).withUnsafeBytes { writer.encodeBytes($0) }
        case .strings:
            let strings = unsafeBitCast(value, to: [String].self)
            writer.writeUInt8(ValueTag.array)
            writer.writeVarUInt(UInt64(strings.count))
            for string in strings { writer.encodeString(string) }
        case .array(let element, false):
            switch element {
            case .double: writer.encodePacked(unsafeBitCast(value, to: [Double].self))
            case .float: writer.encodePacked(unsafeBitCast(value, to: [Float].self))
            case .int: writer.encodePacked(unsafeBitCast(value, to: [Int].self))
            case .int64: writer.encodePacked(unsafeBitCast(value, to: [Int64].self))
            case .int32: writer.encodePacked(unsafeBitCast(value, to: [Int32].self))
            case .uint8: writer.encodePacked(unsafeBitCast(value, to: [UInt8].self))
            case .uint64: writer.encodePacked(unsafeBitCast(value, to: [UInt64].self))
            case .uint32: writer.encodePacked(unsafeBitCast(value, to: [UInt32].self))
            }
        case .array(let element, true):
            switch element {
            case .double: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<Double>.self))
            case .float: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<Float>.self))
            case .int: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<Int>.self))
            case .int64: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<Int64>.self))
            case .int32: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<Int32>.self))
            case .uint8: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<UInt8>.self))
            case .uint64: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<UInt64>.self))
            case .uint32: writer.encodePacked(unsafeBitCast(value, to: ContiguousArray<UInt32>.self))
            }
        case .int, .string, .double, .bool, .none: break
        }
    }

    /// Whether the value at `offset` can be read by `decode` for `type`: always for scalars
    /// (which throw on a mismatch); for arrays and `Data` only when the bytes hold the packed
    /// or bytes form of the same element kind, else the generic path reads them.
    @inline(__always)
    static func accepts(_ type: FastType, _ input: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        switch type {
        case .none: return false
        case .data: return offset < input.count && input[offset] == ValueTag.bytes
        case .strings: return offset < input.count && input[offset] == ValueTag.array
        case .array(let element, _):
            guard offset < input.count else { return false }
            if element == .uint8 { return input[offset] == ValueTag.bytes }
            return input[offset] == ValueTag.packed && offset + 1 < input.count && input[offset + 1] == element.kind.rawValue
        default: return true
        }
    }

    /// Reads a value of fast type `type` (which `accepts` the bytes) at `offset`, setting `end`.
    @inline(__always)
    static func decode<T: Decodable>(
        _: T.Type, _ type: FastType, from input: UnsafeRawBufferPointer, at offset: Int, end: inout Int,
        path: @autoclosure () -> CodingPath
    ) throws(CodecError) -> T {
        var reader = ByteReader(input, offset: offset)
        defer { end = reader.offset }
        switch type {
        case .int: return unsafeBitCast(try ScalarReader.integer(Int.self, &reader, path: path()), to: T.self)
        case .string: return unsafeBitCast(try ScalarReader.string(&reader, path: path()), to: T.self)
        case .double: return unsafeBitCast(try ScalarReader.double(&reader, path: path()), to: T.self)
        case .bool: return unsafeBitCast(try ScalarReader.bool(&reader, path: path()), to: T.self)
        default: return try decodeOther(T.self, type, &reader, path: path())
        }
    }

    private static func decodeOther<T: Decodable>(
        _: T.Type, _ type: FastType, _ reader: inout ByteReader, path: @autoclosure () -> CodingPath
    ) throws(CodecError) -> T {
        switch type {
        case .int64: return unsafeBitCast(try ScalarReader.integer(Int64.self, &reader, path: path()), to: T.self)
        case .int32: return unsafeBitCast(try ScalarReader.integer(Int32.self, &reader, path: path()), to: T.self)
        case .int16: return unsafeBitCast(try ScalarReader.integer(Int16.self, &reader, path: path()), to: T.self)
        case .int8: return unsafeBitCast(try ScalarReader.integer(Int8.self, &reader, path: path()), to: T.self)
        case .uint: return unsafeBitCast(try ScalarReader.integer(UInt.self, &reader, path: path()), to: T.self)
        case .uint64: return unsafeBitCast(try ScalarReader.integer(UInt64.self, &reader, path: path()), to: T.self)
        case .uint32: return unsafeBitCast(try ScalarReader.integer(UInt32.self, &reader, path: path()), to: T.self)
        case .uint16: return unsafeBitCast(try ScalarReader.integer(UInt16.self, &reader, path: path()), to: T.self)
        case .uint8: return unsafeBitCast(try ScalarReader.integer(UInt8.self, &reader, path: path()), to: T.self)
        case .float: return unsafeBitCast(try ScalarReader.float(&reader, path: path()), to: T.self)
        case .strings: return unsafeBitCast(try strings(&reader, path: path()), to: T.self)
        default: break
        }
        let run: PackedRun
        do throws(CodecError) {
            // `accepts` saw a packed or bytes tag, so `read` finds a run or throws.
            guard let found = try PackedRun.read(&reader) else {
                throw CodecError(.typeMismatch, "expected \(T.self) at byte \(reader.offset)", offset: reader.offset)
            }
            run = found
        } catch {
            throw error.locating(path())
        }
        let input = reader.buffer
        switch type {
        case .data: return unsafeBitCast(Data(run.bytes(in: input)), to: T.self)
        case .array(let element, false):
            switch element {
            case .double: return unsafeBitCast(run.copy(Double.self, from: input), to: T.self)
            case .float: return unsafeBitCast(run.copy(Float.self, from: input), to: T.self)
            case .int: return unsafeBitCast(run.copy(Int.self, from: input), to: T.self)
            case .int64: return unsafeBitCast(run.copy(Int64.self, from: input), to: T.self)
            case .int32: return unsafeBitCast(run.copy(Int32.self, from: input), to: T.self)
            case .uint8: return unsafeBitCast(run.copy(UInt8.self, from: input), to: T.self)
            case .uint64: return unsafeBitCast(run.copy(UInt64.self, from: input), to: T.self)
            case .uint32: return unsafeBitCast(run.copy(UInt32.self, from: input), to: T.self)
            }
        case .array(let element, true):
            switch element {
            case .double: return unsafeBitCast(run.copyContiguous(Double.self, from: input), to: T.self)
            case .float: return unsafeBitCast(run.copyContiguous(Float.self, from: input), to: T.self)
            case .int: return unsafeBitCast(run.copyContiguous(Int.self, from: input), to: T.self)
            case .int64: return unsafeBitCast(run.copyContiguous(Int64.self, from: input), to: T.self)
            case .int32: return unsafeBitCast(run.copyContiguous(Int32.self, from: input), to: T.self)
            case .uint8: return unsafeBitCast(run.copyContiguous(UInt8.self, from: input), to: T.self)
            case .uint64: return unsafeBitCast(run.copyContiguous(UInt64.self, from: input), to: T.self)
            case .uint32: return unsafeBitCast(run.copyContiguous(UInt32.self, from: input), to: T.self)
            }
        default:
            throw CodecError(.typeMismatch, "no fast path for \(T.self)").locating(path())
        }
    }

    /// A `[String]` in the generic array form (its elements must all be strings).
    private static func strings(_ reader: inout ByteReader, path: @autoclosure () -> CodingPath) throws(CodecError) -> [String] {
        let start = reader.offset
        let count: Int
        do throws(CodecError) {
            _ = try reader.readUInt8()
            // Each string takes at least a tag and a length byte.
            count = try ValueSkipper.readCount(&reader, minimumEntrySize: 2, at: start, of: "array of strings")
        } catch {
            throw error.locating(path())
        }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for index in 0..<count {
            strings.append(try ScalarReader.string(&reader, path: path().appending(index: index)))
        }
        return strings
    }
}
