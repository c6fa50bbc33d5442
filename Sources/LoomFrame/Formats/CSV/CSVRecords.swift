/// The records of CSV bytes, field by field, without copying: a field is a byte range, and
/// only a quoted field with doubled quotes or escapes is unescaped, into `scratch` (reused from
/// record to record, so fields stay plain values and a record allocates nothing).
struct CSVRecords {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: CSVOptions
    private(set) var position: Int
    /// Records read so far (the line number of the next, from the first record here, is this
    /// plus the newlines inside quoted fields before it).
    private(set) var newlinesSeen = 0
    /// The unescaped texts of the current record's fields.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, options: CSVOptions, from start: Int = 0) {
        self.bytes = bytes
        self.options = options
        position = start
    }

    var atEnd: Bool { position >= bytes.count }

    /// One field: its bytes, and whether it was quoted (a quoted empty field is a string, not a null).
    struct Field {
        var range: Range<Int>
        var quoted: Bool
        /// Where in `scratch` the unescaped text is, when quoting or escapes changed it.
        var unescaped: Range<Int>?
    }

    /// Reads the next record's fields into `fields` (cleared first). A record ends at `\n` (or
    /// `\r\n`) outside quotes, or at the end of the bytes.
    mutating func next(into fields: inout [Field]) throws(CSVError) {
        fields.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        let (delimiter, quote, escape) = (options.delimiter, options.quote, options.escape)
        while true {
            var start = position
            var quoted = false
            var unescaped: Range<Int>?
            var end: Int
            if position < bytes.count, bytes[position] == quote {
                quoted = true
                position += 1
                start = position
                var text: Int?  // where this field's unescaped text starts in scratch
                while true {
                    guard position < bytes.count else { throw CSVError.unterminatedQuote }
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < bytes.count, bytes[position + 1] == quote {
                            if text == nil { text = scratch.count; scratch += bytes[start..<position] }
                            scratch.append(quote)
                            position += 2
                            continue
                        }
                        break
                    }
                    if let escape, byte == escape, position + 1 < bytes.count {
                        if text == nil { text = scratch.count; scratch += bytes[start..<position] }
                        scratch.append(bytes[position + 1])
                        position += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\n") { newlinesSeen += 1 }
                    if text != nil { scratch.append(byte) }
                    position += 1
                }
                end = position
                unescaped = text.map { $0..<scratch.count }
                position += 1  // the closing quote
                // Only a delimiter or the record's end may follow.
                if position < bytes.count, bytes[position] != delimiter, bytes[position] != UInt8(ascii: "\n"),
                   !(bytes[position] == UInt8(ascii: "\r") && (position + 1 == bytes.count || bytes[position + 1] == UInt8(ascii: "\n"))) {
                    throw CSVError.textAfterQuote
                }
            } else {
                var text: Int?
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == delimiter || byte == UInt8(ascii: "\n") { break }
                    if let escape, byte == escape, position + 1 < bytes.count {
                        if text == nil { text = scratch.count; scratch += bytes[start..<position] }
                        scratch.append(bytes[position + 1])
                        position += 2
                        continue
                    }
                    if text != nil { scratch.append(byte) }
                    position += 1
                }
                end = position
                if end > start, bytes[end - 1] == UInt8(ascii: "\r"), position >= bytes.count || bytes[position] == UInt8(ascii: "\n") {
                    end -= 1
                    if text != nil { scratch.removeLast() }
                }
                unescaped = text.map { $0..<scratch.count }
            }
            fields.append(Field(range: start..<end, quoted: quoted, unescaped: unescaped))
            if position < bytes.count, bytes[position] == delimiter {
                position += 1
                continue
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "\r") { position += 1 }
            if position < bytes.count, bytes[position] == UInt8(ascii: "\n") { position += 1 }
            newlinesSeen += 1
            return
        }
    }

    /// The next record's fields when none of them is quoted and no escape byte is set (what
    /// almost every record of a machine-written file is): their byte ranges into `starts` and
    /// `ends`, and how many. Nil, with nothing read, when a field begins with a quote or there
    /// are more than `capacity` fields: `next(into:)` takes that record. One scan per field
    /// for the delimiter or newline, and nothing appended anywhere.
    @inline(__always)
    mutating func nextUnquoted(starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>, capacity: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let (delimiter, quote, newline, count) = (options.delimiter, options.quote, UInt8(ascii: "\n"), bytes.count)
        let (delimiters, newlines) = (UInt64(delimiter) &* Self.everyByte, UInt64(newline) &* Self.everyByte)
        var at = position, fields = 0
        while fields < capacity {
            if at < count, base[at] == quote { return nil }
            let start = at
            // Eight bytes at a time: the lowest byte equal to the delimiter or a newline.
            while at + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + at).loadUnaligned(as: UInt64.self))
                let found = Self.zeroBytes(word ^ delimiters) | Self.zeroBytes(word ^ newlines)
                if found != 0 { at += found.trailingZeroBitCount >> 3; break }
                at += 8
            }
            if at + 8 > count {
                while at < count {
                    let byte = base[at]
                    if byte == delimiter || byte == newline { break }
                    at += 1
                }
            }
            starts[fields] = start
            if at < count, base[at] == delimiter {
                ends[fields] = at
                fields += 1
                at += 1
                continue
            }
            ends[fields] = at > start && base[at - 1] == UInt8(ascii: "\r") ? at - 1 : at
            fields += 1
            position = at < count ? at + 1 : at
            newlinesSeen += 1
            return fields
        }
        return nil
    }

    private static let everyByte: UInt64 = 0x0101_0101_0101_0101

    /// The high bit of each zero byte of `word` (exact up to the lowest zero byte, which is all
    /// a scan needs).
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- everyByte) & ~word & 0x8080_8080_8080_8080
    }

    /// The field's bytes, unescaped.
    @inline(__always)
    func withBytes<R>(_ field: Field, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let unescaped = field.unescaped { return try scratch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[unescaped])) } }
        return try body(UnsafeBufferPointer(rebasing: bytes[field.range]))
    }
}

/// What is wrong with a record (the reader adds the file and line).
enum CSVError: Error {
    case unterminatedQuote
    case textAfterQuote

    var message: String {
        switch self {
        case .unterminatedQuote: "a quoted field is not closed before the end of the data"
        case .textAfterQuote: "text follows a quoted field's closing quote"
        }
    }
}
