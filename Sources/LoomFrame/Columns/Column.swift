import LoomCore

/// One column of a table: typed values and which rows hold none (nulls).
///
/// The storage is Arrow's layout: a contiguous buffer per type, strings as offsets plus bytes,
/// categoricals as codes into a dictionary of strings, and a validity bitmap only when a row is
/// null. The value in a null row is unspecified (zero, an empty string).
public struct Column: Sendable {
    public enum Storage: Sendable {
        case int32([Int32])
        case int64([Int64])
        case float([Float])
        case double([Double])
        case bool([Bool])
        case string(StringStorage)
        /// `codes[i]` indexes `categories`.
        case categorical(codes: [Int32], categories: StringStorage)
        case timestamp([Int64])
        case date([Int32])
    }

    public let storage: Storage
    /// Nil when no row is null.
    public let validity: Validity?

    public init(storage: Storage, validity: Validity? = nil) {
        self.storage = storage
        self.validity = validity?.simplified
    }

    public var type: DataType {
        switch storage {
        case .int32: .int32
        case .int64: .int64
        case .float: .float
        case .double: .double
        case .bool: .bool
        case .string: .string
        case .categorical: .categorical
        case .timestamp: .timestamp
        case .date: .date
        }
    }

    public var count: Int {
        switch storage {
        case .int32(let values), .date(let values): values.count
        case .int64(let values), .timestamp(let values): values.count
        case .float(let values): values.count
        case .double(let values): values.count
        case .bool(let values): values.count
        case .string(let strings): strings.count
        case .categorical(let codes, _): codes.count
        }
    }

    public var nullCount: Int { validity?.nullCount ?? 0 }

    public func isNull(_ row: Int) -> Bool { !(validity?.isValid(row) ?? true) }

    /// The value in `row`, nil if it is null.
    public subscript(row: Int) -> Scalar? {
        guard !isNull(row) else { return nil }
        switch storage {
        case .int32(let values): return .int(Int64(values[row]))
        case .int64(let values): return .int(values[row])
        case .float(let values): return .double(Double(values[row]))
        case .double(let values): return .double(values[row])
        case .bool(let values): return .bool(values[row])
        case .string(let strings): return .string(strings[row])
        case .categorical(let codes, let categories): return .string(categories[Int(codes[row])])
        case .timestamp(let values): return .timestamp(values[row])
        case .date(let values): return .date(values[row])
        }
    }
}

// MARK: Making columns

extension Column {
    public init(_ values: [Int32]) { self.init(storage: .int32(values)) }
    public init(_ values: [Int64]) { self.init(storage: .int64(values)) }
    public init(_ values: [Int]) { self.init(storage: .int64(values.map { Int64($0) })) }
    public init(_ values: [Float]) { self.init(storage: .float(values)) }
    public init(_ values: [Double]) { self.init(storage: .double(values)) }
    public init(_ values: [Bool]) { self.init(storage: .bool(values)) }
    public init(_ values: [String]) { self.init(storage: .string(StringStorage(values))) }

    public init(_ values: [Int64?]) { self.init(storage: .int64(values.map { $0 ?? 0 }), validity: Validity(values.map { $0 != nil })) }
    public init(_ values: [Double?]) { self.init(storage: .double(values.map { $0 ?? 0 }), validity: Validity(values.map { $0 != nil })) }
    public init(_ values: [Bool?]) { self.init(storage: .bool(values.map { $0 ?? false }), validity: Validity(values.map { $0 != nil })) }
    public init(_ values: [String?]) {
        self.init(storage: .string(StringStorage(values.map { $0 ?? "" })), validity: Validity(values.map { $0 != nil }))
    }

    /// Strings coded into a dictionary of their distinct values, in order of first appearance.
    public static func categorical(_ values: [String?]) -> Column {
        var codes: [Int32] = []
        codes.reserveCapacity(values.count)
        var index: [String: Int32] = [:]
        var categories = StringStorage()
        for value in values {
            guard let value else { codes.append(0); continue }
            if let code = index[value] { codes.append(code); continue }
            let code = Int32(index.count)
            index[value] = code
            categories.append(value)
            codes.append(code)
        }
        return Column(storage: .categorical(codes: codes, categories: categories), validity: Validity(values.map { $0 != nil }))
    }

    /// Nanoseconds since 1970-01-01T00:00:00 UTC.
    public static func timestamps(nanoseconds: [Int64], validity: Validity? = nil) -> Column {
        Column(storage: .timestamp(nanoseconds), validity: validity)
    }

    /// Days since 1970-01-01.
    public static func dates(days: [Int32], validity: Validity? = nil) -> Column {
        Column(storage: .date(days), validity: validity)
    }

    /// `count` rows of `value` (nil: all null) in a column of `type`.
    public static func repeating(_ value: Scalar?, count: Int, type: DataType) throws -> Column {
        let validity = value == nil ? Validity(words: [UInt64](repeating: 0, count: (count + 63) / 64), count: count) : nil
        switch (type, value) {
        case (.int32, .int(let v)?): return Column(storage: .int32(.init(repeating: Int32(truncatingIfNeeded: v), count: count)))
        case (.int32, nil): return Column(storage: .int32(.init(repeating: 0, count: count)), validity: validity)
        case (.int64, .int(let v)?): return Column(storage: .int64(.init(repeating: v, count: count)))
        case (.int64, nil): return Column(storage: .int64(.init(repeating: 0, count: count)), validity: validity)
        case (.float, let v?) where v.asDouble != nil: return Column(storage: .float(.init(repeating: Float(v.asDouble!), count: count)))
        case (.float, nil): return Column(storage: .float(.init(repeating: 0, count: count)), validity: validity)
        case (.double, let v?) where v.asDouble != nil: return Column(storage: .double(.init(repeating: v.asDouble!, count: count)))
        case (.double, nil): return Column(storage: .double(.init(repeating: 0, count: count)), validity: validity)
        case (.bool, .bool(let v)?): return Column(storage: .bool(.init(repeating: v, count: count)))
        case (.bool, nil): return Column(storage: .bool(.init(repeating: false, count: count)), validity: validity)
        case (.string, .string(let v)?): return Column(storage: .string(StringStorage(repeatElement(v, count: count))))
        case (.string, nil): return Column(storage: .string(StringStorage(repeatElement("", count: count))), validity: validity)
        case (.categorical, .string(let v)?):
            return Column(storage: .categorical(codes: .init(repeating: 0, count: count), categories: StringStorage([v])))
        case (.categorical, nil): return Column(storage: .categorical(codes: .init(repeating: 0, count: count), categories: StringStorage()), validity: validity)
        case (.timestamp, .timestamp(let v)?): return Column(storage: .timestamp(.init(repeating: v, count: count)))
        case (.timestamp, nil): return Column(storage: .timestamp(.init(repeating: 0, count: count)), validity: validity)
        case (.date, .date(let v)?): return Column(storage: .date(.init(repeating: v, count: count)))
        case (.date, nil): return Column(storage: .date(.init(repeating: 0, count: count)), validity: validity)
        default:
            throw LoomError(.typeMismatch, "\(value!) cannot fill a column of type \(type)")
        }
    }
}
