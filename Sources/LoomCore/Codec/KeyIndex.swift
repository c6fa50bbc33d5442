import Foundation

/// Where each entry of an encoded keyed container is, found by one pass over it.
///
/// Keys may come in any order and be missing, so a keyed container is indexed when opened: each
/// key's bytes and the offset of its value, with values skipped rather than decoded. Lookups
/// compare key bytes linearly for the few keys a struct has; a large map (a big dictionary)
/// gets a hash table as well.
struct KeyIndex {
    struct Entry {
        let keyStart: Int
        let keyCount: Int
        let value: Int
    }

    let entries: [Entry]
    /// Offset just past the container.
    let end: Int
    private let table: [String: Int]?

    private static let linearSearchLimit = 12

    init(input: UnsafeRawBufferPointer, at offset: Int, path: @autoclosure () -> CodingPath, depth: Int) throws(CodecError) {
        var reader = ByteReader(input, offset: offset)
        do throws(CodecError) {
            let tag = try reader.readUInt8()
            guard tag == ValueTag.map else {
                throw CodecError.typeMismatch(expected: "keyed container", found: tag, at: offset, path: path())
            }
            try ValueSkipper.checkDepth(depth, at: offset)
            let count = try ValueSkipper.readCount(&reader, minimumEntrySize: 2, at: offset, of: "keyed container")
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let keyOffset = reader.offset
                let key = try reader.readLengthPrefixed()
                try KeyIndex.validate(key, at: keyOffset)
                let keyStart = reader.offset - key.count
                entries.append(Entry(keyStart: keyStart, keyCount: key.count, value: reader.offset))
                try ValueSkipper.skip(&reader, depth: depth + 1)
            }
            self.entries = entries
            self.end = reader.offset
            if count > KeyIndex.linearSearchLimit {
                var table: [String: Int] = [:]
                table.reserveCapacity(count)
                for entry in entries { table[KeyIndex.string(entry, in: input)] = entry.value }
                self.table = table
            } else {
                self.table = nil
            }
        } catch {
            throw error.locating(path())
        }
    }

    /// The offset of the value for `key`; the last one if a key repeats.
    func find(_ key: String, in input: UnsafeRawBufferPointer) -> Int? {
        if let table { return table[key] }
        var key = key
        return key.withUTF8 { wanted in
            for entry in entries.reversed() where entry.keyCount == wanted.count {
                if entry.keyCount == 0 { return entry.value }
                if memcmp(input.baseAddress! + entry.keyStart, wanted.baseAddress!, wanted.count) == 0 { return entry.value }
            }
            return nil
        }
    }

    static func string(_ entry: Entry, in input: UnsafeRawBufferPointer) -> String {
        // Validated when indexed.
        String(decoding: UnsafeRawBufferPointer(rebasing: input[entry.keyStart..<entry.keyStart + entry.keyCount]), as: UTF8.self)
    }

    /// Checks a key is UTF-8 (quickly when it is ASCII, as coding keys nearly always are).
    private static func validate(_ key: UnsafeRawBufferPointer, at offset: Int) throws(CodecError) {
        if ByteReader.isASCII(key) { return }
        _ = try ByteReader.string(key, at: offset)
    }
}
