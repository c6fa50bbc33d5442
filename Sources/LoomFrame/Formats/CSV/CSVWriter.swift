import Foundation
import LoomCore

/// A table as CSV text, as pandas' `to_csv(index=False)` writes it: a header, fields quoted
/// when they hold the delimiter, a quote or a line break, nulls as empty fields.
enum CSVWriter {
    static func bytes(of table: Table, options: CSVOptions = CSVOptions()) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(table.rowCount * table.columns.count * 8)
        func write(_ text: some StringProtocol) {
            let needsQuotes = text.utf8.contains { $0 == options.delimiter || $0 == options.quote || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            guard needsQuotes else { out += text.utf8; return }
            out.append(options.quote)
            for byte in text.utf8 {
                if byte == options.quote { out.append(options.quote) }
                out.append(byte)
            }
            out.append(options.quote)
        }
        if options.header {
            for (index, name) in table.schema.names.enumerated() {
                if index > 0 { out.append(options.delimiter) }
                write(name)
            }
            out.append(UInt8(ascii: "\n"))
        }
        for row in 0..<table.rowCount {
            for (index, column) in table.columns.enumerated() {
                if index > 0 { out.append(options.delimiter) }
                guard let value = column[row] else { continue }
                switch value {
                case .string(let text): write(text)
                case .double(let number):
                    out += (number.isNaN ? "" : number.isInfinite ? (number > 0 ? "inf" : "-inf") : "\(number)").utf8
                case .bool(let flag): out += (flag ? "True" : "False").utf8
                case .int(let number): out += "\(number)".utf8
                case .timestamp(let ns): out += Self.timestamp(ns).utf8
                case .date(let days): out += Self.date(Int(days)).utf8
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func write(_ table: Table, to path: String, options: CSVOptions) throws {
        let bytes = Self.bytes(of: table, options: options)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw LoomError(.invalidArgument, "cannot write \(path)")
        }
    }

    static func date(_ days: Int) -> String {
        let (year, month, day) = civil(fromDays: days)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    static func timestamp(_ nanoseconds: Int64) -> String {
        let (days, rest) = nanoseconds.quotientAndRemainder(dividingBy: 86_400_000_000_000)
        let (dayShift, within) = rest < 0 ? (days - 1, rest + 86_400_000_000_000) : (days, rest)
        let seconds = within / 1_000_000_000, fraction = within % 1_000_000_000
        let clock = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        return date(Int(dayShift)) + " " + clock + (fraction == 0 ? "" : String(format: ".%09lld", fraction))
    }

    /// The inverse of `CSVFieldParsing.daysFromCivil`.
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
