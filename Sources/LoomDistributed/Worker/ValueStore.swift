#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LoomCore

/// The values a worker holds, in memory or spilled to files in its local directory, like Dask's
/// `SpillBuffer`.
///
/// A value's size is its encoded size, which is exact. Once the bytes in memory pass `target`,
/// the least recently used values go to disk until they are under it again; reading a spilled
/// value loads it back. `spill(atLeast:)` frees more on demand (the worker does so when the
/// process as a whole uses too much). Without a directory or target nothing is ever spilled.
final class ValueStore {
    struct Metrics: Equatable, Sendable {
        /// Bytes of values held in memory ("managed" memory in Dask's words).
        var memoryBytes = 0
        var spilledBytes = 0
        /// Totals since the worker started.
        var bytesWrittenToDisk = 0
        var secondsWritingToDisk = 0.0
        /// Seconds spilling and loading values, by key prefix.
        var diskSecondsByPrefix: [String: Double] = [:]
    }

    private(set) var metrics = Metrics()
    /// Bytes in memory above which least recently used values spill; `nil` never spills.
    var target: Int?
    private let directory: String?
    private var inMemory: [String: (bytes: [UInt8], lastUse: UInt64)] = [:]
    private var onDisk: [String: (file: String, nbytes: Int)] = [:]
    /// Every use, oldest first, with its stamp; stale entries (a later use, or gone) are skipped.
    private var uses: [(key: String, stamp: UInt64)] = []
    private var usesHead = 0
    private var clock: UInt64 = 0
    private var nextFile = 0
    /// Spilling failed (disk full, say): memory keeps everything from then on, and this says why.
    private(set) var spillProblem: String?

    init(directory: String? = nil, target: Int? = nil) {
        self.directory = directory
        self.target = target
    }

    deinit {
        for (_, entry) in onDisk { unlink(entry.file) }
    }

    var count: Int { inMemory.count + onDisk.count }

    func contains(_ key: String) -> Bool { inMemory[key] != nil || onDisk[key] != nil }

    /// The size of a held value, without loading it.
    func nbytes(of key: String) -> Int? { inMemory[key]?.bytes.count ?? onDisk[key]?.nbytes }

    /// The value, loaded back into memory if it was spilled; `nil` if not held (or unreadable).
    func value(_ key: String) -> [UInt8]? {
        if let entry = inMemory[key] {
            touch(key, entry.bytes)
            return entry.bytes
        }
        guard let entry = onDisk.removeValue(forKey: key) else { return nil }
        metrics.spilledBytes -= entry.nbytes
        defer { unlink(entry.file) }
        let started = ContinuousClock.now
        guard let bytes = Self.read(entry.file, count: entry.nbytes) else { return nil }
        metrics.diskSecondsByPrefix[Key.prefix(of: key), default: 0] += (ContinuousClock.now - started) / .seconds(1)
        insert(key, bytes)
        return bytes
    }

    func store(_ key: String, _ bytes: [UInt8]) {
        remove(key)
        insert(key, bytes)
    }

    func remove(_ key: String) {
        if let entry = inMemory.removeValue(forKey: key) {
            metrics.memoryBytes -= entry.bytes.count
        } else if let entry = onDisk.removeValue(forKey: key) {
            metrics.spilledBytes -= entry.nbytes
                unlink(entry.file)
        }
    }

    /// Spills least recently used values until at least `bytes` left memory (or none is left);
    /// returns how many bytes went.
    @discardableResult
    func spill(atLeast bytes: Int) -> Int {
        var freed = 0
        while freed < bytes, let key = leastRecentlyUsed() {
            guard let moved = spillOne(key) else { break }
            freed += moved
        }
        return freed
    }

    private func insert(_ key: String, _ bytes: [UInt8]) {
        metrics.memoryBytes += bytes.count
        touch(key, bytes)
        if let target, metrics.memoryBytes > target {
            spill(atLeast: metrics.memoryBytes - target)
        }
    }

    private func touch(_ key: String, _ bytes: [UInt8]) {
        clock += 1
        inMemory[key] = (bytes, clock)
        uses.append((key, clock))
        if usesHead > 1024 && usesHead * 2 > uses.count {
            uses.removeFirst(usesHead)
            usesHead = 0
        }
    }

    private func leastRecentlyUsed() -> String? {
        while usesHead < uses.count {
            let (key, stamp) = uses[usesHead]
            usesHead += 1
            if inMemory[key]?.lastUse == stamp { return key }
        }
        return nil
    }

    /// Writes one value to its file and drops it from memory; `nil` if it could not be written.
    private func spillOne(_ key: String) -> Int? {
        guard spillProblem == nil, let directory, let entry = inMemory[key] else { return nil }
        let file = "\(directory)/spilled-\(nextFile)"
        nextFile += 1
        let started = ContinuousClock.now
        if let problem = Self.write(entry.bytes, to: file) {
            spillProblem = "cannot spill to \(directory): \(problem)"
            unlink(file)
            return nil
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        metrics.secondsWritingToDisk += seconds
        metrics.diskSecondsByPrefix[Key.prefix(of: key), default: 0] += seconds
        metrics.bytesWrittenToDisk += entry.bytes.count
        inMemory[key] = nil
        onDisk[key] = (file, entry.bytes.count)
        metrics.memoryBytes -= entry.bytes.count
        metrics.spilledBytes += entry.bytes.count
        return entry.bytes.count
    }

    /// Writes `bytes` to a new file; the error text if that failed.
    private static func write(_ bytes: [UInt8], to path: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        return bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }

    private static func read(_ path: String, count: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = 0
            while offset < count {
                let got = Glibc.read(descriptor, buffer.baseAddress! + offset, count - offset)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                offset += got
            }
            complete = offset == count
            initialized = offset
        }
        return complete ? bytes : nil
    }
}
