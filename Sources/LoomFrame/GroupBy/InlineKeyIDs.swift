/// A key small enough to keep in the hash table itself: an integer, or a string of at most
/// 16 bytes packed into two words.
protocol InlineKey: Equatable {
    var hash: UInt64 { get }
    /// What an empty slot holds.
    static var placeholder: Self { get }
}

extension UInt64: InlineKey {
    var hash: UInt64 { KeyHash.mix(self) }
    static var placeholder: UInt64 { 0 }
}

/// The bytes of a short string, zero-padded into two little-endian words, and its length.
struct ShortString: InlineKey {
    static let maximumLength = 16
    var low: UInt64, high: UInt64
    /// 32 bits, so a slot (two words, the length and an id) is 24 bytes.
    var length: Int32

    var hash: UInt64 { KeyHash.mix(low ^ KeyHash.mix(high ^ UInt64(truncatingIfNeeded: length))) }
    static var placeholder: ShortString { ShortString(low: 0, high: 0, length: 0) }

    init(low: UInt64, high: UInt64, length: Int32) {
        (self.low, self.high, self.length) = (low, high, length)
    }

    /// The `length` (≤ 16) bytes at `start`, where `available` bytes from `start` on may be
    /// read: two whole-word loads masked to the length when 16 may be read, else a copy of the
    /// bytes into two zeroed words.
    @inline(__always)
    init(_ start: UnsafeRawPointer, length: Int, available: Int) {
        self.length = Int32(truncatingIfNeeded: length)
        if available >= 16 {
            let first = UInt64(littleEndian: start.loadUnaligned(as: UInt64.self))
            let second = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            low = length >= 8 ? first : first & Self.mask(length)
            high = length >= 16 ? second : length <= 8 ? 0 : second & Self.mask(length - 8)
        } else {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: start, byteCount: length) }
            (low, high) = (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1))
        }
    }

    /// The strings as values that compare as their bytes do (both words big-endian, then the
    /// length), nil if one is longer than 16 bytes.
    static func orderedPrefixes(_ strings: StringStorage) -> [OrderedPrefix]? {
        strings.offsets.withUnsafeBufferPointer { offsets in
            strings.bytes.withUnsafeBufferPointer { bytes in
                let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                var prefixes: [OrderedPrefix] = []
                prefixes.reserveCapacity(strings.count)
                for row in 0..<strings.count {
                    let start = Int(offsets[row]), length = Int(offsets[row + 1]) - start
                    guard length <= maximumLength else { return nil }
                    let key = ShortString(base + start, length: length, available: bytes.count - start)
                    prefixes.append(OrderedPrefix(high: key.low.byteSwapped, low: key.high.byteSwapped, length: key.length))
                }
                return prefixes
            }
        }
    }

    /// A short string's bytes as numbers in the order of the bytes.
    struct OrderedPrefix: Comparable {
        var high: UInt64, low: UInt64, length: Int32

        static func < (a: OrderedPrefix, b: OrderedPrefix) -> Bool {
            a.high != b.high ? a.high < b.high : a.low != b.low ? a.low < b.low : a.length < b.length
        }
    }

    /// The low `bytes` (< 8) bytes of a word.
    @inline(__always)
    private static func mask(_ bytes: Int) -> UInt64 { (1 << UInt64(bytes * 8)) &- 1 }
}

/// Keys to dense ids 0, 1, … in order of first appearance, the keys held in the table's slots:
/// a probe touches one cache line and never the rows the keys came from (a lookup through a
/// representative row costs three dependent cache misses once groups outgrow the caches).
struct InlineKeyIDs<Key: InlineKey> {
    private struct Slot {
        var key: Key
        /// id + 1; 0 marks an empty slot.
        var id: Int32
    }

    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = Self.empty(capacity)
        mask = capacity - 1
    }

    private static func empty(_ capacity: Int) -> [Slot] {
        [Slot](repeating: Slot(key: .placeholder, id: 0), count: capacity)
    }

    @inline(__always)
    mutating func id(_ key: Key) -> Int32 {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while true {
            let entry = slots[slot]
            if entry.id == 0 { break }
            if entry.key == key { return entry.id - 1 }
            slot = (slot + 1) & mask
        }
        let id = Int32(count)
        slots[slot] = Slot(key: key, id: id + 1)
        count += 1
        if count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        let old = slots
        slots = Self.empty(old.count * 2)
        mask = slots.count - 1
        for entry in old where entry.id != 0 {
            var slot = Int(truncatingIfNeeded: entry.key.hash) & mask
            while slots[slot].id != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }
}
