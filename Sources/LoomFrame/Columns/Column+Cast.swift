import Foundation
import LoomCore

/// Conversions between column types, as pandas' `astype`: numbers to numbers (floats truncate
/// toward zero; NaN becomes null), anything to strings, strings parsed to numbers and bools
/// (a string that does not parse is an error naming it and its row).
extension Column {
    public func cast(to target: DataType) throws -> Column {
        if target == type { return self }
        guard ColumnExpression.canCast(type, to: target) else {
            throw LoomError(.typeMismatch, "cannot cast \(type.withArticle) column to \(target)")
        }
        switch (storage, target) {
        case (.bool(let values), _) where target.isNumeric:
            return try Column(storage: .int64(values.map { $0 ? 1 : 0 }), validity: validity).cast(to: target)
        case (_, .bool) where type.isNumeric:
            let numbers = try asDoubles
            return Column(storage: .bool(numbers.map { $0 != 0 && !$0.isNaN }), validity: validity)
        case (_, .int32) where type.isNumeric: return integers(Int32.self)
        case (_, .int64) where type.isNumeric: return integers(Int64.self)
        case (_, .float) where type.isNumeric: return Column(storage: .float(Float.values(of: storage)!), validity: validity)
        case (_, .double) where type.isNumeric: return Column(storage: .double(Double.values(of: storage)!), validity: validity)
        case (.timestamp(let values), .int64): return Column(storage: .int64(values), validity: validity)
        case (.int64(let values), .timestamp): return Column(storage: .timestamp(values), validity: validity)
        case (.date(let values), .int32): return Column(storage: .int32(values), validity: validity)
        case (.int32(let values), .date): return Column(storage: .date(values), validity: validity)
        case (.date(let values), .timestamp): return Column(storage: .timestamp(values.map { Int64($0) * 86_400_000_000_000 }), validity: validity)
        case (.categorical, .string): return Column(storage: .string(try stringStorage()), validity: validity)
        case (.string, .categorical): return Column.categorical((0..<count).map { isNull($0) ? nil : (try? strings[$0]) ?? nil })
        case (_, .string): return Column(storage: .string(StringStorage((0..<count).map { self[$0].map(Self.text) ?? "" })), validity: validity)
        case (.string(let strings), _): return try parsed(strings, as: target)
        default:
            throw LoomError(.typeMismatch, "cannot cast \(type.withArticle) column to \(target)")
        }
    }

    /// Floats truncate; NaN and infinities, which no integer holds, become null.
    private func integers<T: FrameInteger>(_: T.Type) -> Column {
        switch storage {
        case .float, .double:
            let numbers = Double.values(of: storage)!
            var validity = self.validity ?? Validity(allValid: count)
            let values = numbers.enumerated().map { row, value -> T in
                guard value.isFinite, let exact = T(exactly: value.rounded(.towardZero)) else { validity.set(row, false); return 0 }
                return exact
            }
            return Column(storage: T.storage(values), validity: validity)
        default:
            return Column(storage: T.storage(T.values(of: storage)!), validity: validity)
        }
    }

    private func parsed(_ strings: StringStorage, as target: DataType) throws -> Column {
        func parse<T>(_ convert: (String) -> T?) throws -> [T] {
            try (0..<strings.count).map { row in
                if isNull(row) { return convert("0")! }
                guard let value = convert(strings[row].trimmingCharacters(in: .whitespaces)) else {
                    throw LoomError(.invalidArgument, "row \(row) holds \"\(strings[row])\", which is not \(target.withArticle)")
                }
                return value
            }
        }
        switch target {
        case .int32: return Column(storage: .int32(try parse { Int32($0) }), validity: validity)
        case .int64: return Column(storage: .int64(try parse { Int64($0) }), validity: validity)
        case .float: return Column(storage: .float(try parse { Float($0) }), validity: validity)
        case .double: return Column(storage: .double(try parse { Double($0) }), validity: validity)
        case .bool:
            return Column(storage: .bool(try parse { text in
                switch text.lowercased() {
                case "true", "1": true
                case "false", "0": false
                default: nil
                }
            }), validity: validity)
        default: throw LoomError(.typeMismatch, "cannot cast a string column to \(target)")
        }
    }

    static func text(_ value: Scalar) -> String {
        switch value {
        case .string(let string): string
        case .int(let int): "\(int)"
        case .double(let double): "\(double)"
        case .bool(let bool): bool ? "True" : "False"
        case .timestamp(let ns): "\(ns)"
        case .date(let days): "\(days)"
        }
    }
}

extension ColumnExpression {
    /// A literal's cast, through a column of one row.
    static func cast(_ value: Scalar, to target: DataType) throws -> Scalar? {
        try Column.repeating(value, count: 1, type: value.type).cast(to: target)[0]
    }
}
