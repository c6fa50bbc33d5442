#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LoomCore

/// The files of a worker's spilled values, in its own directory: the I/O that `WorkerState`'s
/// spill decisions (`StoredValues`) call for, timed for the heartbeat and the dashboard.
/// Spilled files are not fsynced (as in Dask): they only need to outlive the process's memory,
/// not the machine.
final class SpillFiles {
    /// Totals since the worker started.
    private(set) var bytesWritten = 0
    private(set) var secondsWriting = 0.0
    /// Seconds spilling and loading values, by key prefix.
    private(set) var diskSecondsByPrefix: [String: Double] = [:]
    let directory: String
    private var files: [Key: String] = [:]
    private var nextFile = 0

    init(directory: String) { self.directory = directory }

    /// Writes `key`'s value to a new file; the error text if that failed.
    func write(_ key: Key, _ bytes: [UInt8]) -> String? {
        let file = "\(directory)/spilled-\(nextFile)"
        nextFile += 1
        let started = ContinuousClock.now
        if let problem = Self.write(bytes, to: file) {
            unlink(file)
            return "cannot spill to \(directory): \(problem)"
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        secondsWriting += seconds
        bytesWritten += bytes.count
        diskSecondsByPrefix[key.prefix, default: 0] += seconds
        delete(key)
        files[key] = file
        return nil
    }

    /// `key`'s spilled value (`count` bytes); nil if it has no file or it could not be read.
    func read(_ key: Key, count: Int) -> [UInt8]? {
        guard let file = files[key] else { return nil }
        let started = ContinuousClock.now
        guard let bytes = Self.read(file, count: count) else { return nil }
        diskSecondsByPrefix[key.prefix, default: 0] += (ContinuousClock.now - started) / .seconds(1)
        return bytes
    }

    func delete(_ key: Key) {
        if let file = files.removeValue(forKey: key) { unlink(file) }
    }

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
