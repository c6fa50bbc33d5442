/// Finds where an encoded value ends without decoding it.
///
/// A keyed container indexes its entries by skipping over their values once, and an unkeyed
/// container steps over elements a type did not read. Skipping validates structure (tags,
/// lengths, nesting depth) but not string contents, which are checked when they are read.
enum ValueSkipper {
    /// The offset just past the value starting at `offset`.
    static func skip(_ input: UnsafeRawBufferPointer, at offset: Int, depth: Int) throws(CodecError) -> Int {
        var reader = ByteReader(input, offset: offset)
        try skip(&reader, depth: depth)
        return reader.offset
    }

    static func skip(_ reader: inout ByteReader, depth: Int) throws(CodecError) {
        let start = reader.offset
        let tag = try reader.readUInt8()
        switch tag {
        case ValueTag.null, ValueTag.false, ValueTag.true:
            return
        case ValueTag.signed, ValueTag.unsigned:
            _ = try reader.readVarUInt()
        case ValueTag.float32:
            _ = try reader.readBytes(4)
        case ValueTag.float64:
            _ = try reader.readBytes(8)
        case ValueTag.string, ValueTag.bytes:
            _ = try reader.readLengthPrefixed()
        case ValueTag.packed:
            reader.offset = start
            _ = try PackedRun.read(&reader)
        case ValueTag.array:
            try checkDepth(depth, at: start)
            let count = try readCount(&reader, minimumEntrySize: 1, at: start, of: "array")
            for _ in 0..<count { try skip(&reader, depth: depth + 1) }
        case ValueTag.map:
            try checkDepth(depth, at: start)
            let count = try readCount(&reader, minimumEntrySize: 2, at: start, of: "keyed container")
            for _ in 0..<count {
                _ = try reader.readLengthPrefixed()
                try skip(&reader, depth: depth + 1)
            }
        default:
            throw CodecError(.invalidTag, "invalid tag 0x\(String(tag, radix: 16)) at byte \(start)", offset: start)
        }
    }

    /// A container's element count, refused if the remaining bytes cannot hold that many
    /// entries of at least `minimumEntrySize` bytes (so a forged count never drives allocation).
    static func readCount(
        _ reader: inout ByteReader, minimumEntrySize: Int, at start: Int, of what: String
    ) throws(CodecError) -> Int {
        let count = try reader.readVarUInt()
        guard count <= UInt64(reader.remaining / minimumEntrySize) else {
            throw CodecError(
                .invalidLength, "\(what) at byte \(start) declares \(count) entries but only \(reader.remaining) byte(s) remain",
                offset: start)
        }
        return Int(count)
    }

    static func checkDepth(_ depth: Int, at offset: Int) throws(CodecError) {
        guard depth < ValueCodec.maximumDepth else {
            throw CodecError(
                .depthLimitExceeded, "containers nest deeper than \(ValueCodec.maximumDepth) levels at byte \(offset)", offset: offset)
        }
    }
}
