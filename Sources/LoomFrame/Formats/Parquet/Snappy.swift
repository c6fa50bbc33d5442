import LoomCore

/// Snappy, the default codec of pandas, pyarrow and Dask: a varint of the uncompressed length,
/// then literals and back-references (copies of earlier output) tagged by their low two bits.
enum Snappy {
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, context: @autoclosure () -> String) throws -> [UInt8] {
        func corrupt(_ what: String) -> LoomError { LoomError(.invalidArgument, "\(context()): corrupt Snappy data (\(what))") }
        var position = 0
        var length = 0, shift = 0
        while true {
            guard position < input.count, shift < 35 else { throw corrupt("bad length") }
            let byte = input[position]
            position += 1
            length |= Int(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return try [UInt8](unsafeUninitializedCapacity: length) { output, written in
            written = 0
            let out = output.baseAddress!
            while position < input.count {
                let tag = input[position]
                position += 1
                var count: Int, offset: Int
                switch tag & 3 {
                case 0:
                    count = Int(tag >> 2)
                    if count >= 60 {
                        let extra = count - 59
                        guard position + extra <= input.count else { throw corrupt("literal length past the end") }
                        count = 0
                        for index in 0..<extra { count |= Int(input[position + index]) << (8 * index) }
                        position += extra
                    }
                    count += 1
                    guard position + count <= input.count, written + count <= length else { throw corrupt("literal past the end") }
                    (out + written).update(from: input.baseAddress! + position, count: count)
                    position += count
                    written += count
                    continue
                case 1:
                    guard position < input.count else { throw corrupt("copy past the end") }
                    count = 4 + Int((tag >> 2) & 7)
                    offset = Int(tag >> 5) << 8 | Int(input[position])
                    position += 1
                case 2:
                    guard position + 2 <= input.count else { throw corrupt("copy past the end") }
                    count = Int(tag >> 2) + 1
                    offset = Int(input[position]) | Int(input[position + 1]) << 8
                    position += 2
                default:
                    guard position + 4 <= input.count else { throw corrupt("copy past the end") }
                    count = Int(tag >> 2) + 1
                    offset = Int(input[position]) | Int(input[position + 1]) << 8 | Int(input[position + 2]) << 16 | Int(input[position + 3]) << 24
                    position += 4
                }
                guard offset > 0, offset <= written, written + count <= length else { throw corrupt("a copy from outside the output") }
                if offset >= count {
                    (out + written).update(from: out + written - offset, count: count)
                } else {
                    // Overlapping: the copy repeats the last `offset` bytes.
                    for index in 0..<count { out[written + index] = out[written - offset + index] }
                }
                written += count
            }
            guard written == length else { throw corrupt("\(written) bytes where the header says \(length)") }
        }
    }

    /// Greedy matching through a hash table of 4-byte sequences, in 64 KiB blocks as Snappy's
    /// own compressor does (so every back-reference fits two offset bytes and the table holds
    /// 16-bit positions), written through a pointer into output sized for the worst case.
    static func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let bound = 32 + input.count + input.count / 6
        return [UInt8](unsafeUninitializedCapacity: bound) { output, written in
            var out = Writer(base: output.baseAddress!)
            var length = input.count
            while length >= 0x80 {
                out.byte(UInt8(length & 0x7f) | 0x80)
                length >>= 7
            }
            out.byte(UInt8(length))
            if let base = input.baseAddress {
                var table = [UInt16](repeating: 0, count: 1 << 14)
                table.withUnsafeMutableBufferPointer { table in
                    var blockStart = 0
                    while blockStart < input.count {
                        let blockEnd = min(input.count, blockStart + 65536)
                        compressBlock(base + blockStart, count: blockEnd - blockStart, table: table, into: &out)
                        blockStart = blockEnd
                    }
                }
            }
            written = out.count
        }
    }

    private struct Writer {
        let base: UnsafeMutablePointer<UInt8>
        var count = 0

        @inline(__always) mutating func byte(_ value: UInt8) {
            base[count] = value
            count += 1
        }

        @inline(__always) mutating func bytes(_ from: UnsafePointer<UInt8>, _ length: Int) {
            (base + count).update(from: from, count: length)
            count += length
        }
    }

    private static func compressBlock(_ block: UnsafePointer<UInt8>, count: Int, table: UnsafeMutableBufferPointer<UInt16>, into out: inout Writer) {
        @inline(__always) func load(_ at: Int) -> UInt32 { UnsafeRawPointer(block + at).loadUnaligned(as: UInt32.self) }
        @inline(__always) func hash(_ value: UInt32) -> Int { Int((value &* 0x1e35a7bd) >> 18) }
        table.update(repeating: 0)
        var literalStart = 0
        var position = 0
        let lastMatchStart = count - 4
        while position <= lastMatchStart {
            let value = load(position)
            let slot = hash(value)
            let candidate = Int(table[slot])
            table[slot] = UInt16(truncatingIfNeeded: position)
            // Position 0 doubles as "empty": the bytes decide.
            guard candidate < position, load(candidate) == value else {
                position += 1 + (position - literalStart) >> 5
                continue
            }
            emitLiteral(block + literalStart, position - literalStart, into: &out)
            var matched = 4
            while position + matched < count, block[candidate + matched] == block[position + matched] { matched += 1 }
            emitCopy(offset: position - candidate, count: matched, into: &out)
            position += matched
            literalStart = position
        }
        emitLiteral(block + literalStart, count - literalStart, into: &out)
    }

    private static func emitLiteral(_ start: UnsafePointer<UInt8>, _ count: Int, into out: inout Writer) {
        guard count > 0 else { return }
        let stored = count - 1
        if stored < 60 {
            out.byte(UInt8(stored << 2))
        } else {
            var bytes = 0
            var rest = stored
            while rest > 0 { bytes += 1; rest >>= 8 }
            out.byte(UInt8((59 + bytes) << 2))
            for index in 0..<bytes { out.byte(UInt8(truncatingIfNeeded: stored >> (8 * index))) }
        }
        out.bytes(start, count)
    }

    private static func emitCopy(offset: Int, count: Int, into out: inout Writer) {
        var count = count
        // Copies of up to 64 bytes each; keep at least 4 for the last.
        while count >= 68 { appendCopy(offset: offset, count: 64, into: &out); count -= 64 }
        if count > 64 { appendCopy(offset: offset, count: 60, into: &out); count -= 60 }
        appendCopy(offset: offset, count: count, into: &out)
    }

    @inline(__always)
    private static func appendCopy(offset: Int, count: Int, into out: inout Writer) {
        if count < 12, offset < 2048 {
            out.byte(UInt8(1 | ((count - 4) << 2) | ((offset >> 8) << 5)))
            out.byte(UInt8(offset & 0xff))
        } else {
            out.byte(UInt8(2 | ((count - 1) << 2)))
            out.byte(UInt8(offset & 0xff))
            out.byte(UInt8(offset >> 8))
        }
    }
}
