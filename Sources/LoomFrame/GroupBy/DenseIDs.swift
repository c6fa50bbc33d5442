/// Keys to dense ids 0, 1, … in order of first appearance, through an open-addressing table of
/// ids and hashes: one multiply-and-shift hash per key and a comparison with the row that first
/// had the key, instead of a `Dictionary` and SipHash per row (a fifth of a group-by's time).
struct DenseIDTable {
    /// For each id, what stands for its key: the first row that had it, say.
    private(set) var representatives: [Int] = []
    /// A slot per table entry: the hash's upper half beside id + 1 (0: empty), so a probe reads
    /// one word of one cache line.
    private var slots: [UInt64]
    /// Each id's whole hash, to place it again when the table grows.
    private var hashes: [UInt64] = []
    private var mask: Int
    private(set) var count = 0

    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// The id of the key with `hash`, where `equal(r)` says whether the key with representative
    /// `r` is this one; a key not seen before gets the next id, with `representative`.
    @inline(__always)
    mutating func id(hash: UInt64, representative: Int, equal: (Int) -> Bool) -> Int32 {
        let tag = hash & 0xffff_ffff_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xffff_ffff_0000_0000 == tag {
                let id = Int(entry & 0xffff_ffff) - 1
                if equal(representatives[id]) { return Int32(id) }
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(count)
        representatives.append(representative)
        hashes.append(hash)
        slots[slot] = tag | UInt64(count + 1)
        count += 1
        if count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = hash & 0xffff_ffff_0000_0000 | UInt64(id + 1)
        }
    }
}

enum KeyHash {
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var h = value &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    /// A hash of `count` bytes at `start`, eight at a time.
    @inline(__always)
    static func bytes(_ start: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        var offset = 0
        while offset + 8 <= count {
            h = mix(h ^ start.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < count {
            var tail: UInt64 = 0
            for index in offset..<count { tail = tail << 8 | UInt64(start.load(fromByteOffset: index, as: UInt8.self)) }
            h = mix(h ^ tail)
        }
        return h
    }

    /// Whether `count` bytes at `a` and `b` are the same, a word at a time (keys are short:
    /// a call to memcmp costs more than the comparison).
    @inline(__always)
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset + 8 <= count {
            if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < count {
            if a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) { return false }
            offset += 1
        }
        return true
    }
}
