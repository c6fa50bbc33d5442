import LoomCore

/// Typed views of a column's values (`table["v1"].doubles`). Each throws when the column holds
/// another type, naming both; null rows hold an unspecified value (see `isNull`, `validity`).
extension Column {
    public var int32s: [Int32] { get throws { if case .int32(let values) = storage { return values }; throw mismatch(.int32) } }
    public var int64s: [Int64] { get throws { if case .int64(let values) = storage { return values }; throw mismatch(.int64) } }
    public var floats: [Float] { get throws { if case .float(let values) = storage { return values }; throw mismatch(.float) } }
    public var doubles: [Double] { get throws { if case .double(let values) = storage { return values }; throw mismatch(.double) } }
    public var bools: [Bool] { get throws { if case .bool(let values) = storage { return values }; throw mismatch(.bool) } }
    /// Nanoseconds since the epoch.
    public var timestamps: [Int64] { get throws { if case .timestamp(let values) = storage { return values }; throw mismatch(.timestamp) } }
    /// Days since the epoch.
    public var dates: [Int32] { get throws { if case .date(let values) = storage { return values }; throw mismatch(.date) } }

    /// The strings of a string or categorical column.
    public var strings: [String] {
        get throws {
            switch storage {
            case .string(let strings): return (0..<strings.count).map { strings[$0] }
            case .categorical(let codes, let categories):
                let decoded = (0..<categories.count).map { categories[$0] }
                return codes.enumerated().map { row, code in isNull(row) ? "" : decoded[Int(code)] }
            default: throw mismatch(.string)
            }
        }
    }

    /// Every value, nil for nulls.
    public var values: [Scalar?] { (0..<count).map { self[$0] } }

    /// Any numeric column's values as doubles (nulls as NaN), as pandas' `to_numpy(float)`.
    public var asDoubles: [Double] {
        get throws {
            var values: [Double]
            switch storage {
            case .int32(let ints): values = ints.map { Double($0) }
            case .int64(let ints): values = ints.map { Double($0) }
            case .float(let floats): values = floats.map { Double($0) }
            case .double(let doubles): values = doubles
            default: throw LoomError(.typeMismatch, "a column of type \(type) is not numeric")
            }
            if let validity { for row in 0..<count where !validity.isValid(row) { values[row] = .nan } }
            return values
        }
    }

    private func mismatch(_ asked: DataType) -> LoomError {
        LoomError(.typeMismatch, "the column holds \(type), not \(asked)")
    }
}

extension Column {
    /// The bytes its buffers hold (values, offsets and text, the validity bitmap).
    public var byteCount: Int {
        let values = switch storage {
        case .int32(let values), .date(let values): values.count * 4
        case .int64(let values), .timestamp(let values): values.count * 8
        case .float(let values): values.count * 4
        case .double(let values): values.count * 8
        case .bool(let values): values.count
        case .string(let strings): strings.bytes.count + strings.offsets.count * 4
        case .categorical(let codes, let categories): codes.count * 4 + categories.bytes.count + categories.offsets.count * 4
        }
        return values + (validity?.words.count ?? 0) * 8
    }
}
