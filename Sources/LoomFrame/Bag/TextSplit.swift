/// Python's `str.split` on a line's UTF-8 bytes, which is what Dask's `bag.str.split()` runs:
/// with no separator, runs of whitespace (ASCII's and Unicode's, as `str.isspace` has it)
/// separate words and no word is empty; with a separator, each occurrence of it does and empty
/// words are kept (`"a,,b"` → `a`, ``, `b`; an empty line is one empty word).
struct TextSplit: Sendable, Codable, Hashable {
    /// Nil: whitespace. Never empty (`Bag.str.split` refuses it, as Python does).
    var separator: String?

    /// The words of `line` as strings.
    func words(of line: String) -> [String] {
        var line = line, words: [String] = []
        line.withUTF8 { bytes in
            forEachWord(UnsafeRawBufferPointer(bytes)) { start, length in
                words.append(String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self))
            }
        }
        return words
    }

    /// Each word of `line` (the bytes of one line, or with no separator, of many: line ends
    /// are whitespace) as its start and length.
    @inline(__always)
    func forEachWord(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer, Int) -> Void) {
        guard let base = line.baseAddress else {
            if separator != nil { body(UnsafeRawPointer(bitPattern: 1)!, 0) }
            return
        }
        if let separator {
            var separator = separator
            separator.withUTF8 { Self.forEachPiece(base, line.count, separatedBy: UnsafeRawBufferPointer($0), body) }
        } else {
            Self.forEachRun(base, line.count, body)
        }
    }

    /// The runs of bytes between whitespace.
    @inline(__always)
    private static func forEachRun(_ base: UnsafeRawPointer, _ count: Int, _ body: (UnsafeRawPointer, Int) -> Void) {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var index = 0, wordStart = -1
        while index < count {
            let byte = bytes[index]
            let space = byte < 0x80 ? (isASCIIWhitespace(byte) ? 1 : 0) : unicodeWhitespaceLength(bytes + index, count - index)
            if space > 0 {
                if wordStart >= 0 { body(base + wordStart, index - wordStart) }
                wordStart = -1
                index += space
            } else {
                if wordStart < 0 { wordStart = index }
                index += 1
            }
        }
        if wordStart >= 0 { body(base + wordStart, count - wordStart) }
    }

    /// The pieces between occurrences of `separator`, empty ones included.
    private static func forEachPiece(_ base: UnsafeRawPointer, _ count: Int, separatedBy separator: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer, Int) -> Void) {
        let bytes = base.assumingMemoryBound(to: UInt8.self), width = separator.count, first = separator[0]
        var index = 0, pieceStart = 0
        while index + width <= count {
            if bytes[index] == first, KeyHash.equal(base + index, separator.baseAddress!, width) {
                body(base + pieceStart, index - pieceStart)
                index += width
                pieceStart = index
            } else {
                index += 1
            }
        }
        body(base + pieceStart, count - pieceStart)
    }

    /// Tab, line feed, vertical tab, form feed, carriage return, the four separators 0x1C–0x1F
    /// and space: the ASCII characters Python's `str.isspace` accepts.
    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte &- 0x09 < 5 || byte &- 0x1C < 4
    }

    /// The length of the UTF-8 of a non-ASCII whitespace character at `bytes` (U+0085, U+00A0,
    /// U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), 0 if none starts there.
    @inline(__always)
    static func unicodeWhitespaceLength(_ bytes: UnsafePointer<UInt8>, _ available: Int) -> Int {
        switch bytes[0] {
        case 0xC2 where available >= 2:
            return bytes[1] == 0x85 || bytes[1] == 0xA0 ? 2 : 0
        case 0xE1 where available >= 3:
            return bytes[1] == 0x9A && bytes[2] == 0x80 ? 3 : 0
        case 0xE2 where available >= 3:
            if bytes[1] == 0x80 { return bytes[2] <= 0x8A && bytes[2] >= 0x80 || bytes[2] == 0xA8 || bytes[2] == 0xA9 || bytes[2] == 0xAF ? 3 : 0 }
            return bytes[1] == 0x81 && bytes[2] == 0x9F ? 3 : 0
        case 0xE3 where available >= 3:
            return bytes[1] == 0x80 && bytes[2] == 0x80 ? 3 : 0
        default:
            return 0
        }
    }

    /// Whether Python's `str.isspace` holds for `scalar` (what `strip` removes).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isASCIIWhitespace(UInt8(scalar.value)) }
        switch scalar.value {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `text` without the whitespace at its ends (Python's `str.strip()`).
    static func stripped(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }), let last = scalars.lastIndex(where: { !isWhitespace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
