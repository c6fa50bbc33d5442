/// How a CSV file is written: pandas' `read_csv` defaults.
public struct CSVOptions: Sendable, Hashable, Codable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// A byte that makes the next one literal inside a field (pandas' `escapechar`); none by default.
    public var escape: UInt8?
    /// Whether each file's first line names the columns.
    public var header = true
    /// Field texts read as null (pandas' default `na_values`, an empty field among them).
    public var nullValues: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "<NA>"]
    /// How much of the first file the column types are inferred from, when no schema is given.
    public var sampleBytes = 256 * 1024

    public init() {}

    public init(delimiter: Character = ",", quote: Character = "\"", escape: Character? = nil, header: Bool = true,
                nullValues: Set<String>? = nil) {
        self.delimiter = delimiter.asciiValue ?? UInt8(ascii: ",")
        self.quote = quote.asciiValue ?? UInt8(ascii: "\"")
        self.escape = escape?.asciiValue
        self.header = header
        if let nullValues { self.nullValues = nullValues }
    }
}
