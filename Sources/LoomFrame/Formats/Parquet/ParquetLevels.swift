import LoomCore

/// Parquet's RLE / bit-packed hybrid, the encoding of definition levels and dictionary
/// indices: runs of one repeated value, and groups of eight values packed at `bitWidth` bits.
struct RLEHybridDecoder {
    private let data: UnsafeBufferPointer<UInt8>
    private var position: Int
    private let bitWidth: Int
    private let context: String

    init(_ data: UnsafeBufferPointer<UInt8>, bitWidth: Int, context: String) {
        self.data = data
        self.position = 0
        self.bitWidth = bitWidth
        self.context = context
    }

    private func corrupt() -> LoomError { LoomError(.invalidArgument, "\(context): corrupt RLE/bit-packed data") }

    private mutating func varint() throws -> Int {
        guard let value = Varint.read(data, at: &position), value < UInt64(Int.max) else { throw corrupt() }
        return Int(value)
    }

    /// `count` values into `output`, calling nothing per value in runs.
    mutating func decode(_ count: Int, into output: UnsafeMutablePointer<UInt32>) throws {
        var done = 0
        let byteWidth = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 32 ? 0xffff_ffff : (1 << UInt64(bitWidth)) - 1
        while done < count {
            let header = try varint()
            if header & 1 == 0 {
                let run = min(header >> 1, count - done)
                guard position + byteWidth <= data.count else { throw corrupt() }
                var value: UInt32 = 0
                for index in 0..<byteWidth { value |= UInt32(data[position + index]) << (8 * UInt32(index)) }
                position += byteWidth
                (output + done).update(repeating: value, count: run)
                done += run
            } else {
                let values = (header >> 1) * 8
                let bytes = (values * bitWidth + 7) / 8
                // A writer may end with a short group; read only the bytes there are.
                let available = min(bytes, data.count - position)
                guard available >= 0 else { throw corrupt() }
                let take = min(values, count - done)
                var buffer: UInt64 = 0, bits = 0, consumed = 0
                for index in 0..<take {
                    while bits < bitWidth {
                        let byte: UInt64 = consumed < available ? UInt64(data[position + consumed]) : 0
                        buffer |= byte << UInt64(bits)
                        bits += 8
                        consumed += 1
                    }
                    output[done + index] = UInt32(truncatingIfNeeded: buffer & mask)
                    buffer >>= UInt64(bitWidth)
                    bits -= bitWidth
                }
                position += available
                done += take
            }
        }
    }
}

/// Writes the hybrid: runs of eight or more equal values as RLE runs, everything else
/// bit-packed in groups of eight.
struct RLEHybridEncoder {
    let bitWidth: Int
    private(set) var bytes: [UInt8] = []

    init(bitWidth: Int) { self.bitWidth = bitWidth }

    private mutating func varint(_ value: Int) {
        var value = value
        while value >= 0x80 { bytes.append(UInt8(value & 0x7f) | 0x80); value >>= 7 }
        bytes.append(UInt8(value))
    }

    mutating func encode(_ values: UnsafeBufferPointer<UInt32>) {
        var start = 0
        var packedStart = 0
        while start < values.count {
            var end = start + 1
            while end < values.count, values[end] == values[start] { end += 1 }
            // A run starts where the packed values before it fill whole groups of eight.
            let pending = (start - packedStart) % 8
            let runStart = pending == 0 ? start : start + 8 - pending
            if end - runStart >= 8 {
                pack(values, packedStart, runStart)
                encodeRun(values[runStart], count: end - runStart)
                packedStart = end
            }
            start = end
        }
        pack(values, packedStart, values.count)
    }

    /// `count` copies of `value`, as one run.
    mutating func encodeRun(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        varint(count << 1)
        for index in 0..<(bitWidth + 7) / 8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))) }
    }

    /// Values `from..<to` bit-packed, padded with zeros to a group of eight.
    private mutating func pack(_ values: UnsafeBufferPointer<UInt32>, _ from: Int, _ to: Int) {
        guard to > from else { return }
        let groups = (to - from + 7) / 8
        varint(groups << 1 | 1)
        var buffer: UInt64 = 0, bits = 0
        for index in from..<(from + groups * 8) {
            let value = index < to ? UInt64(values[index]) : 0
            buffer |= value << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                bits -= 8
            }
        }
        if bits > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
    }

    /// The bits needed for values up to `maximum`.
    static func bitWidth(for maximum: Int) -> Int { maximum == 0 ? 0 : Int.bitWidth - maximum.leadingZeroBitCount }
}

/// DELTA_BINARY_PACKED (integers as a first value and bit-packed deltas from a block minimum),
/// which pyarrow writes when asked.
enum DeltaBinaryPacked {
    static func decode(_ data: UnsafeBufferPointer<UInt8>, count: Int, context: String) throws -> [Int64] {
        var position = 0
        func corrupt() -> LoomError { LoomError(.invalidArgument, "\(context): corrupt DELTA_BINARY_PACKED data") }
        func varint() throws -> UInt64 {
            guard let value = Varint.read(data, at: &position) else { throw corrupt() }
            return value
        }
        func zigzag() throws -> Int64 { let raw = try varint(); return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
        let blockSize = Int(try varint()), miniblocks = Int(try varint())
        let total = Int(try varint())
        var previous = try zigzag()
        guard miniblocks > 0, blockSize % miniblocks == 0, total >= 0 else { throw corrupt() }
        let perMiniblock = blockSize / miniblocks
        var values: [Int64] = []
        values.reserveCapacity(total)
        if total > 0 { values.append(previous) }
        while values.count < total {
            let minimum = try zigzag()
            guard position + miniblocks <= data.count else { throw corrupt() }
            let widths = Array(data[position..<position + miniblocks])
            position += miniblocks
            for width in widths where values.count < total {
                let width = Int(width)
                guard width <= 64 else { throw corrupt() }
                let bytes = perMiniblock * width / 8
                guard position + bytes <= data.count || values.count + perMiniblock >= total else { throw corrupt() }
                var buffer: UInt64 = 0, bits = 0, consumed = 0
                for _ in 0..<perMiniblock {
                    var delta: UInt64 = 0
                    var got = 0
                    while got < width {
                        if bits == 0 {
                            buffer = position + consumed < data.count ? UInt64(data[position + consumed]) : 0
                            consumed += 1
                            bits = 8
                        }
                        let take = min(width - got, bits)
                        delta |= (buffer & ((1 << UInt64(take)) - 1)) << UInt64(got)
                        buffer >>= UInt64(take)
                        bits -= take
                        got += take
                    }
                    if values.count < total {
                        previous = previous &+ minimum &+ Int64(bitPattern: delta)
                        values.append(previous)
                    }
                }
                position += bytes
            }
        }
        return values
    }
}

/// Unsigned LEB128, the varints of Parquet's encodings: seven bits a byte, low bits first.
enum Varint {
    /// The varint at `position` (moved past it); nil when the data ends inside it or it is too long.
    static func read(_ data: UnsafeBufferPointer<UInt8>, at position: inout Int) -> UInt64? {
        var result: UInt64 = 0, shift: UInt64 = 0
        while position < data.count, shift < 64 {
            let byte = data[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}
