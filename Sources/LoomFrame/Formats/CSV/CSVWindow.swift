import Foundation

/// A CSV block read a few megabytes at a time into one buffer, reused as the parse moves on:
/// a block of any size costs a window of memory, not its own size, and pages faulted in once.
/// The parse reads whole lines (`limit`) and hands back where it stopped; the rest is kept and
/// more read after it, the buffer growing only for a record longer than itself.
struct CSVWindow: ~Copyable {
    private var buffer: BlockBuffer
    private let handle: FileHandle
    private let path: String
    /// The file offset of the buffer's first byte.
    private(set) var offset: Int
    private(set) var atEndOfFile = false
    /// The end of the last whole line in the buffer (everything, at the end of the file).
    private(set) var limit = 0

    private init(_ buffer: consuming BlockBuffer, _ handle: FileHandle, path: String, offset: Int) {
        self.buffer = buffer
        self.handle = handle
        self.path = path
        self.offset = offset
    }

    /// The window on `handle` from `offset`, its first bytes read.
    static func open(_ handle: FileHandle, path: String, from offset: Int, capacity: Int) throws -> CSVWindow {
        var window = CSVWindow(try BlockBuffer(capacity: capacity), handle, path: path, offset: offset)
        try window.readMore()
        return window
    }

    var bytes: UnsafeBufferPointer<UInt8> { buffer.bytes }
    /// The whole lines.
    var lines: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: buffer.bytes[..<limit]) }

    /// Drops the bytes before `position` and reads on after the rest.
    mutating func advance(keepingFrom position: Int) throws {
        buffer.discard(before: position)
        offset += position
        try readMore()
    }

    private mutating func readMore() throws {
        let before = buffer.count
        // The room left, or as much again when a record fills the buffer.
        let wanted = buffer.capacity > before ? buffer.capacity - before : buffer.capacity
        try buffer.fill(from: handle, path: path, offset: offset + before, count: wanted)
        atEndOfFile = buffer.count - before < wanted
        limit = atEndOfFile ? buffer.count : (buffer.bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
    }
}
