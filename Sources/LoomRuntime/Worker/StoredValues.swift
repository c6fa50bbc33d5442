import LoomCore

/// The values a worker holds and which of them are spilled — the bookkeeping and the choices
/// of Dask's `SpillBuffer`, without the files: `WorkerServer` writes, reads and deletes those
/// (`SpillFiles`) when `WorkerState` says so.
///
/// A value's size is its encoded size, which is exact. Once the bytes in memory pass `target`,
/// the least recently used values are chosen to spill until they are under it again;
/// `spill(atLeast:)` chooses more on demand (when the process as a whole holds too much). A
/// spilled value read back comes into memory again (`loaded`). Without a target nothing spills
/// by itself; once a write failed (`spillFailed`), nothing spills any more.
package struct StoredValues {
    /// A value chosen to go to disk; it left memory already.
    struct Spill: Equatable {
        var key: Key
        var bytes: [UInt8]
    }

    /// Where a held value is.
    package enum Place: Equatable {
        case memory([UInt8])
        case spilled
    }

    /// Bytes in memory above which least recently used values spill; `nil` never spills by itself.
    let target: Int?
    /// Whether values may still go to disk (not after a failed write).
    private(set) var canSpill = true
    /// Why spilling stopped, if it did.
    package private(set) var spillProblem: String?
    /// Bytes of values held in memory ("managed" memory in Dask's words), and spilled.
    package private(set) var memoryBytes = 0
    package private(set) var spilledBytes = 0
    private var inMemory: [Key: (bytes: [UInt8], lastUse: UInt64)] = [:]
    private var onDisk: [Key: Int] = [:]
    /// Every use, oldest first, with its stamp; stale entries (a later use, or gone) are skipped.
    private var uses: [(key: Key, stamp: UInt64)] = []
    private var usesHead = 0
    private var clock: UInt64 = 0

    init(target: Int? = nil) { self.target = target }

    var count: Int { inMemory.count + onDisk.count }

    func contains(_ key: Key) -> Bool { inMemory[key] != nil || onDisk[key] != nil }

    func isSpilled(_ key: Key) -> Bool { onDisk[key] != nil }

    /// The size of a held value, in memory or not.
    package func nbytes(of key: Key) -> Int? { inMemory[key]?.bytes.count ?? onDisk[key] }

    /// Where `key`'s value is (`nil`: not held); a value in memory counts as used now.
    package mutating func use(_ key: Key) -> Place? {
        if let entry = inMemory[key] {
            touch(key, entry.bytes)
            return .memory(entry.bytes)
        }
        return onDisk[key] != nil ? .spilled : nil
    }

    /// Holds `bytes` as `key`'s value (replacing any), and returns what must spill to stay
    /// under the target. `spilledBefore` is whether an old value of `key` was on disk.
    mutating func store(_ key: Key, _ bytes: [UInt8]) -> (spills: [Spill], spilledBefore: Bool) {
        let spilledBefore = remove(key)
        return (insert(key, bytes), spilledBefore)
    }

    /// Drops `key`'s value; true if it was on disk (its file can go).
    @discardableResult
    mutating func remove(_ key: Key) -> Bool {
        if let entry = inMemory.removeValue(forKey: key) {
            memoryBytes -= entry.bytes.count
            return false
        }
        guard let nbytes = onDisk.removeValue(forKey: key) else { return false }
        spilledBytes -= nbytes
        return true
    }

    /// Chooses least recently used values to spill until at least `bytes` left memory (or
    /// none is left); they leave memory now.
    mutating func spill(atLeast bytes: Int) -> [Spill] {
        guard canSpill else { return [] }
        var chosen: [Spill] = []
        var freed = 0
        while freed < bytes, let key = leastRecentlyUsed(), let entry = inMemory.removeValue(forKey: key) {
            memoryBytes -= entry.bytes.count
            spilledBytes += entry.bytes.count
            onDisk[key] = entry.bytes.count
            chosen.append(Spill(key: key, bytes: entry.bytes))
            freed += entry.bytes.count
        }
        return chosen
    }

    /// A spilled value was read back: it is in memory again (its file can go), which may make
    /// others spill. False if `key` is no longer spilled (freed meanwhile).
    mutating func loaded(_ key: Key, _ bytes: [UInt8]) -> (spills: [Spill], wasSpilled: Bool) {
        guard let nbytes = onDisk.removeValue(forKey: key) else { return ([], false) }
        spilledBytes -= nbytes
        return (insert(key, bytes), true)
    }

    /// Writing a spilled value failed: it stays in memory, and nothing spills from now on.
    mutating func spillFailed(_ key: Key, _ bytes: [UInt8], reason: String) {
        canSpill = false
        if spillProblem == nil { spillProblem = reason }
        guard let nbytes = onDisk.removeValue(forKey: key) else { return }
        spilledBytes -= nbytes
        memoryBytes += bytes.count
        touch(key, bytes)
    }

    private mutating func insert(_ key: Key, _ bytes: [UInt8]) -> [Spill] {
        memoryBytes += bytes.count
        touch(key, bytes)
        guard let target, memoryBytes > target else { return [] }
        return spill(atLeast: memoryBytes - target)
    }

    private mutating func touch(_ key: Key, _ bytes: [UInt8]) {
        clock += 1
        inMemory[key] = (bytes, clock)
        uses.append((key, clock))
        if usesHead > 1024 && usesHead * 2 > uses.count {
            uses.removeFirst(usesHead)
            usesHead = 0
        }
    }

    private mutating func leastRecentlyUsed() -> Key? {
        while usesHead < uses.count {
            let (key, stamp) = uses[usesHead]
            usesHead += 1
            if inMemory[key]?.lastUse == stamp { return key }
        }
        return nil
    }
}
