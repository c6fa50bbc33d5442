import Foundation
import LoomCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Bytes of a file in memory for one parse: pages mapped for them alone and unmapped after,
/// never initialised twice (an array is zeroed, then read into). No huge pages: on virtual
/// machines whose host takes back free memory, faulting in 2 MiB pages measured slower, not
/// faster (the host pays for every page the guest touches first).
struct BlockBuffer: ~Copyable {
    private var start: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) throws {
        let capacity = max(capacity, 1)
        guard let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            throw LoomError(.invalidArgument, "cannot map \(capacity) bytes to read a block into: \(String(cString: strerror(errno)))")
        }
        start = mapped
        self.capacity = capacity
    }

    deinit { munmap(start, capacity) }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count) }

    /// Up to `count` bytes of the file from `offset`, after those held (fewer at its end).
    mutating func fill(from handle: FileHandle, path: String, offset: Int, count wanted: Int) throws {
        try reserve(count + wanted)
        var read = 0
        while read < wanted {
            let got = pread(handle.fileDescriptor, start + count, wanted - read, off_t(offset + read))
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw LoomError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            read += got
            count += got
        }
    }

    /// The next 64 KiB of the file (from `offset`), kept up to the first `byte` in them;
    /// false at the end of the file.
    mutating func extend(from handle: FileHandle, path: String, offset: Int, upTo byte: UInt8) throws -> Bool {
        let before = count
        try fill(from: handle, path: path, offset: offset, count: 64 * 1024)
        guard count > before else { return false }
        let added = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self) + before, count: count - before)
        if let found = added.firstIndex(of: byte) { count = before + found + 1 }
        return true
    }

    /// Drops the bytes before `index`, moving the rest to the front.
    mutating func discard(before index: Int) {
        let kept = count - index
        if kept > 0, index > 0 { start.copyMemory(from: start + index, byteCount: kept) }
        count = max(0, kept)
    }

    private mutating func reserve(_ needed: Int) throws {
        guard needed > capacity else { return }
        var grown = try BlockBuffer(capacity: max(needed, capacity * 2))
        grown.start.copyMemory(from: start, byteCount: count)
        grown.count = count
        swap(&self, &grown)
    }
}
