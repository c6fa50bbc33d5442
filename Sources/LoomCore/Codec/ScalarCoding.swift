/// Writing and reading single tagged scalars: the leaves every container and fast path shares.
extension ByteWriter {
    mutating func encodeNil() { writeUInt8(ValueTag.null) }

    mutating func encodeBool(_ value: Bool) { writeUInt8(value ? ValueTag.true : ValueTag.false) }

    mutating func encodeSigned(_ value: Int64) {
        writeUInt8(ValueTag.signed)
        writeVarInt(value)
    }

    mutating func encodeUnsigned(_ value: UInt64) {
        writeUInt8(ValueTag.unsigned)
        writeVarUInt(value)
    }

    mutating func encodeFloat(_ value: Float) {
        writeUInt8(ValueTag.float32)
        writeFixed32LE(value.bitPattern)
    }

    mutating func encodeDouble(_ value: Double) {
        writeUInt8(ValueTag.float64)
        writeFixed64LE(value.bitPattern)
    }

    mutating func encodeString(_ value: String) {
        writeUInt8(ValueTag.string)
        writeString(value)
    }
}

/// Reads one tagged scalar, converting between compatible encodings (a signed tag into a
/// `UInt8`, a Float32 into a `Double`) when the value survives exactly, and throwing otherwise.
///
/// Paths are passed as autoclosures: building one allocates, and it is only needed on failure.
enum ScalarReader {
    /// An integer of any width, read through the non-generic `rawInteger` so that the code that
    /// parses stays out of each specialization.
    @inline(__always)
    static func integer<I: FixedWidthInteger>(
        _: I.Type, _ reader: inout ByteReader, path: @autoclosure () -> CodingPath
    ) throws(CodecError) -> I {
        let start = reader.offset
        let number = try rawInteger(&reader, expected: I.self, path: path())
        switch number {
        case .signed(let value): if let exact = I(exactly: value) { return exact }
        case .unsigned(let value): if let exact = I(exactly: value) { return exact }
        case .float: break
        }
        throw outOfRange(number, I.self, at: start, path: path())
    }

    static func rawInteger(
        _ reader: inout ByteReader, expected: Any.Type, path: @autoclosure () -> CodingPath
    ) throws(CodecError) -> WideNumber {
        let start = reader.offset
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            switch tag {
            case ValueTag.signed: return .signed(try reader.readVarInt())
            case ValueTag.unsigned: return .unsigned(try reader.readVarUInt())
            default: throw CodecError.typeMismatch(expected: "\(expected)", found: tag, at: start, path: path())
            }
        } catch {
            throw error.locating(path())
        }
    }

    static func double(_ reader: inout ByteReader, path: @autoclosure () -> CodingPath) throws(CodecError) -> Double {
        let start = reader.offset
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            switch tag {
            case ValueTag.float64: return Double(bitPattern: try reader.readFixed64LE())
            case ValueTag.float32: return Double(Float(bitPattern: try reader.readFixed32LE()))
            default: throw CodecError.typeMismatch(expected: "Double", found: tag, at: start, path: path())
            }
        } catch {
            throw error.locating(path())
        }
    }

    static func float(_ reader: inout ByteReader, path: @autoclosure () -> CodingPath) throws(CodecError) -> Float {
        let start = reader.offset
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            switch tag {
            case ValueTag.float32: return Float(bitPattern: try reader.readFixed32LE())
            case ValueTag.float64:
                let value = Double(bitPattern: try reader.readFixed64LE())
                let narrowed = Float(value)
                if Double(narrowed) == value || value.isNaN { return narrowed }
                throw outOfRange(value, Float.self, at: start, path: path())
            default: throw CodecError.typeMismatch(expected: "Float", found: tag, at: start, path: path())
            }
        } catch {
            throw error.locating(path())
        }
    }

    static func bool(_ reader: inout ByteReader, path: @autoclosure () -> CodingPath) throws(CodecError) -> Bool {
        let start = reader.offset
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            switch tag {
            case ValueTag.true: return true
            case ValueTag.false: return false
            default: throw CodecError.typeMismatch(expected: "Bool", found: tag, at: start, path: path())
            }
        } catch {
            throw error.locating(path())
        }
    }

    static func string(_ reader: inout ByteReader, path: @autoclosure () -> CodingPath) throws(CodecError) -> String {
        let start = reader.offset
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            guard tag == ValueTag.string else {
                throw CodecError.typeMismatch(expected: "String", found: tag, at: start, path: path())
            }
            return try reader.readString()
        } catch {
            throw error.locating(path())
        }
    }

    /// Consumes a nil and returns true, or consumes nothing and returns false.
    static func null(_ reader: inout ByteReader) -> Bool {
        guard reader.offset < reader.buffer.count, reader.buffer[reader.offset] == ValueTag.null else { return false }
        reader.offset += 1
        return true
    }

    private static func outOfRange(_ value: some CustomStringConvertible, _ type: Any.Type, at offset: Int, path: CodingPath) -> CodecError {
        CodecError(
            .numberOutOfRange, "number \(value) at byte \(offset) does not fit in \(type) at \(path.rendered)",
            offset: offset, codingPath: path.isRoot ? "" : path.rendered)
    }
}
