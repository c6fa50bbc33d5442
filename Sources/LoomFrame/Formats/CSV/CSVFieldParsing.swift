import Foundation

/// Field text to values, straight from bytes.
enum CSVFieldParsing {
    /// A decimal integer with an optional sign and surrounding spaces.
    static func int64(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0, end = bytes.count
        while index < end, bytes[index] == UInt8(ascii: " ") { index += 1 }
        while end > index, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard index < end else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < end else { return nil }
        var value: Int64 = 0
        // Eighteen digits or fewer cannot overflow: no check per digit.
        if end - index <= 18 {
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int64(digit)
                index += 1
            }
            return negative ? -value : value
        }
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// A floating-point number as C's `strtod` reads it (also `inf`, `nan`), the whole field.
    /// Plain decimals of up to 15 digits (`-43.123456`) take Clinger's fast path — the digits
    /// as an exact integer divided by an exact power of ten, one correctly rounded division —
    /// and everything else goes to `strtod`.
    static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        if let fast = simpleDecimal(bytes) { return fast }
        return parsedByC(bytes)
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    @inline(__always)
    private static func simpleDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let count = bytes.count
        guard count > 0, count <= 17 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; index = 1 }
        var mantissa: UInt64 = 0, digits = 0, fraction = 0, seenPoint = false
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                mantissa = mantissa * 10 + UInt64(digit)
                digits += 1
                if seenPoint { fraction += 1 }
            }
            index += 1
        }
        guard digits > 0, digits <= 15 else { return nil }
        let value = Double(mantissa) / powersOfTen[fraction]
        return negative ? -value : value
    }

    private static func parsedByC(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count < 128 else { return bytes.isEmpty ? nil : Double(String(decoding: bytes, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer -> Double? in
            for index in 0..<bytes.count { buffer[index] = CChar(bitPattern: bytes[index]) }
            buffer[bytes.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard var end else { return nil }
            while end.pointee == CChar(UInt8(ascii: " ")) { end += 1 }
            guard end == buffer.baseAddress! + bytes.count, end != buffer.baseAddress! else { return nil }
            return value
        }
    }

    static func bool(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch String(decoding: bytes, as: UTF8.self) {
        case "True", "true", "TRUE": true
        case "False", "false", "FALSE": false
        default: nil
        }
    }

    /// `YYYY-MM-DD` as days since 1970-01-01.
    static func date(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(bytes, 0..<4), let month = number(bytes, 5..<7), let day = number(bytes, 8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        return Int32(daysFromCivil(year, month, day))
    }

    /// `YYYY-MM-DD[ T]HH:MM:SS[.fffffffff]` (UTC) as nanoseconds since the epoch; a date alone is midnight.
    static func timestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 10, let days = date(UnsafeBufferPointer(rebasing: bytes[0..<10])) else { return nil }
        var nanoseconds = Int64(days) * 86_400_000_000_000
        guard bytes.count > 10 else { return nanoseconds }
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = number(bytes, 11..<13), let minute = number(bytes, 14..<16), let second = number(bytes, 17..<19),
              hour < 24, minute < 60, second < 61 else { return nil }
        nanoseconds += Int64(hour * 3600 + minute * 60 + second) * 1_000_000_000
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100_000_000
            while index < bytes.count, let digit = number(bytes, index..<index + 1) {
                nanoseconds += Int64(digit) * scale
                scale /= 10
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "Z") { index += 1 }
        return index == bytes.count ? nanoseconds : nil
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
