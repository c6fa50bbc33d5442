import LoomCore

/// Strings as Arrow lays them out: every string's UTF-8 bytes back to back, and where each
/// starts (`offsets[i] ..< offsets[i + 1]`). A million short strings are two allocations.
public struct StringStorage: Sendable, Hashable {
    public private(set) var offsets: [Int32]
    public private(set) var bytes: [UInt8]

    public init() {
        offsets = [0]
        bytes = []
    }

    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for string in strings { append(string) }
    }

    init(offsets: [Int32], bytes: [UInt8]) {
        self.offsets = offsets
        self.bytes = bytes
    }

    public var count: Int { offsets.count - 1 }

    public mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(bytes: $0) }
    }

    mutating func append(bytes new: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: new)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// `count` strings, `totalBytes` long in all, `string(i)` the bytes of the i-th: the room
    /// made once, then a copy each.
    @inline(__always)
    mutating func append(_ count: Int, totalBytes: Int, _ string: (Int) -> UnsafeBufferPointer<UInt8>) {
        let firstByte = bytes.count, firstOffset = offsets.count
        bytes.append(contentsOf: repeatElement(0, count: totalBytes))
        offsets.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBufferPointer { bytes in
            offsets.withUnsafeMutableBufferPointer { offsets in
                var at = firstByte
                for index in 0..<count {
                    let piece = string(index)
                    if let source = piece.baseAddress, !piece.isEmpty {
                        UnsafeMutableRawPointer(bytes.baseAddress! + at).copyMemory(from: source, byteCount: piece.count)
                        at += piece.count
                    }
                    offsets[firstOffset + index] = Int32(truncatingIfNeeded: at)
                }
            }
        }
    }

    mutating func append(_ other: StringStorage, _ index: Int) {
        let range = other.range(index)
        bytes.append(contentsOf: other.bytes[range])
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    mutating func reserve(_ strings: Int, bytes count: Int) {
        offsets.reserveCapacity(strings + 1)
        bytes.reserveCapacity(count)
    }

    /// The strings at `indices`: their sizes first, then one pass of copies into bytes
    /// allocated once.
    func take(_ indices: [Int]) -> StringStorage {
        var offsets = [Int32](repeating: 0, count: indices.count + 1)
        var total = 0
        for (position, index) in indices.enumerated() {
            total += Int(self.offsets[index + 1] - self.offsets[index])
            offsets[position + 1] = Int32(truncatingIfNeeded: total)
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            self.bytes.withUnsafeBufferPointer { source in
                for (position, index) in indices.enumerated() {
                    let from = Int(self.offsets[index]), count = Int(self.offsets[index + 1]) - from
                    if count > 0 { (buffer.baseAddress! + Int(offsets[position])).initialize(from: source.baseAddress! + from, count: count) }
                }
            }
            initialized = total
        }
        return StringStorage(offsets: offsets, bytes: bytes)
    }

    /// Strings `range`, in one copy of their bytes.
    func slice(_ range: Range<Int>) -> StringStorage {
        let start = offsets[range.lowerBound]
        return StringStorage(offsets: offsets[range.lowerBound...range.upperBound].map { $0 - start },
                             bytes: Array(bytes[Int(start)..<Int(offsets[range.upperBound])]))
    }

    /// The strings of `dictionary` at `indices` after these (dictionary-coded values decoded):
    /// their sizes first, then one pass of copies.
    mutating func append(_ dictionary: StringStorage, at indices: UnsafeBufferPointer<UInt32>) {
        var total = bytes.count
        offsets.reserveCapacity(offsets.count + indices.count)
        for index in indices {
            total += Int(dictionary.offsets[Int(index) + 1] - dictionary.offsets[Int(index)])
            offsets.append(Int32(truncatingIfNeeded: total))
        }
        let first = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: total - first))
        bytes.withUnsafeMutableBufferPointer { output in
            dictionary.bytes.withUnsafeBufferPointer { source in
                var at = first
                for index in indices {
                    let from = Int(dictionary.offsets[Int(index)]), count = Int(dictionary.offsets[Int(index) + 1]) - from
                    if count > 0 { (output.baseAddress! + at).update(from: source.baseAddress! + from, count: count) }
                    at += count
                }
            }
        }
    }

    /// Every string of `other` after these, in one copy of bytes and one of offsets.
    mutating func append(contentsOf other: StringStorage) {
        let shift = Int32(truncatingIfNeeded: bytes.count)
        bytes += other.bytes
        other.offsets.withUnsafeBufferPointer { added in
            offsets += added.dropFirst().lazy.map { $0 &+ shift }
        }
    }

    /// The byte range of string `index`.
    @inline(__always)
    func range(_ index: Int) -> Range<Int> { Int(offsets[index])..<Int(offsets[index + 1]) }

    public subscript(index: Int) -> String {
        String(decoding: bytes[range(index)], as: UTF8.self)
    }

    /// Whether the whole storage fits the 32-bit offsets (2 GiB of text per column).
    static func checkSize(_ byteCount: Int, _ what: @autoclosure () -> String) throws {
        guard byteCount <= Int(Int32.max) else {
            throw LoomError(.invalidArgument, "\(what()) holds \(byteCount) bytes of text, more than a column's 2 GiB: use more partitions")
        }
    }

    /// Compares string `index` with `other`'s bytes: negative, zero or positive (byte order is
    /// code point order, as Python's and Arrow's string comparisons are).
    @inline(__always)
    func compare(_ index: Int, with other: UnsafeBufferPointer<UInt8>) -> Int {
        let range = range(index)
        return bytes.withUnsafeBufferPointer { all in
            let count = min(range.count, other.count)
            if count > 0 {
                let order = memcmp(all.baseAddress! + range.lowerBound, other.baseAddress!, count)
                if order != 0 { return Int(order) }
            }
            return range.count - other.count
        }
    }

    func compare(_ index: Int, with other: StringStorage, _ otherIndex: Int) -> Int {
        other.bytes.withUnsafeBufferPointer { all in
            let range = other.range(otherIndex)
            return compare(index, with: UnsafeBufferPointer(rebasing: all[range]))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
