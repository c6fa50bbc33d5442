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
    /// own compressor does (so every back-reference fits two offset bytes).
    static func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(32 + input.count + input.count / 6)
        var length = input.count
        while length >= 0x80 {
            output.append(UInt8(length & 0x7f) | 0x80)
            length >>= 7
        }
        output.append(UInt8(length))
        guard let base = input.baseAddress else { return output }
        var table = [Int32](repeating: -1, count: 1 << 14)
        var blockStart = 0
        while blockStart < input.count {
            let blockEnd = min(input.count, blockStart + 65536)
            compressBlock(base, from: blockStart, to: blockEnd, table: &table, into: &output)
            blockStart = blockEnd
        }
        return output
    }

    private static func compressBlock(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, table: inout [Int32], into output: inout [UInt8]) {
        @inline(__always) func load(_ at: Int) -> UInt32 { UnsafeRawPointer(base + at).loadUnaligned(as: UInt32.self) }
        @inline(__always) func hash(_ value: UInt32) -> Int { Int((value &* 0x1e35a7bd) >> 18) }
        for index in table.indices { table[index] = -1 }
        var literalStart = start
        var position = start
        let lastMatchStart = end - 4
        while position <= lastMatchStart {
            let value = load(position)
            let slot = hash(value)
            let candidate = Int(table[slot])
            table[slot] = Int32(position - start)
            guard candidate >= 0, load(start + candidate) == value else {
                position += 1 + (position - literalStart) >> 5
                continue
            }
            let from = start + candidate
            emitLiteral(base, from: literalStart, to: position, into: &output)
            var matched = 4
            while position + matched < end, base[from + matched] == base[position + matched] { matched += 1 }
            emitCopy(offset: position - from, count: matched, into: &output)
            position += matched
            literalStart = position
        }
        emitLiteral(base, from: literalStart, to: end, into: &output)
    }

    private static func emitLiteral(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, into output: inout [UInt8]) {
        let count = end - start
        guard count > 0 else { return }
        let stored = count - 1
        if stored < 60 {
            output.append(UInt8(stored << 2))
        } else {
            var bytes = 0
            var rest = stored
            while rest > 0 { bytes += 1; rest >>= 8 }
            output.append(UInt8((59 + bytes) << 2))
            for index in 0..<bytes { output.append(UInt8(truncatingIfNeeded: stored >> (8 * index))) }
        }
        output.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count))
    }

    private static func emitCopy(offset: Int, count: Int, into output: inout [UInt8]) {
        var count = count
        // Copies of up to 64 bytes each; keep at least 4 for the last.
        while count >= 68 { appendCopy(offset: offset, count: 64, into: &output); count -= 64 }
        if count > 64 { appendCopy(offset: offset, count: 60, into: &output); count -= 60 }
        appendCopy(offset: offset, count: count, into: &output)
    }

    private static func appendCopy(offset: Int, count: Int, into output: inout [UInt8]) {
        if count < 12, offset < 2048 {
            output.append(UInt8(1 | ((count - 4) << 2) | ((offset >> 8) << 5)))
            output.append(UInt8(offset & 0xff))
        } else {
            output.append(UInt8(2 | ((count - 1) << 2)))
            output.append(UInt8(offset & 0xff))
            output.append(UInt8(offset >> 8))
        }
    }
}
