/// The numeric types columns hold, with the operations expressions run on them: written once,
/// generically, and specialized per type.
protocol FrameNumber: Comparable, Sendable {
    static var type: DataType { get }
    init(converting value: Double)
    init(converting value: Int64)
    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// Nil where the result is undefined (an integer divided by zero: pandas gives NaN there).
    static func divide(_ a: Self, _ b: Self) -> Self?
    static func remainder(_ a: Self, _ b: Self) -> Self?
    static func negate(_ a: Self) -> Self
    static func storage(_ values: [Self]) -> Column.Storage
}

extension FrameNumber {
    /// Number `row` of a numeric storage, in this type.
    static func values(of storage: Column.Storage) -> [Self]? {
        switch storage {
        case .int32(let values): values as? [Self] ?? values.map { Self(converting: Int64($0)) }
        case .int64(let values): values as? [Self] ?? values.map { Self(converting: $0) }
        case .float(let values): values as? [Self] ?? values.map { Self(converting: Double($0)) }
        case .double(let values): values as? [Self] ?? values.map { Self(converting: $0) }
        default: nil
        }
    }

    static func value(of scalar: Scalar) -> Self? {
        switch scalar {
        case .int(let value): Self(converting: value)
        case .double(let value): Self(converting: value)
        default: nil
        }
    }
}

/// Integers wrap on overflow, as numpy's do, and a division by zero is null.
protocol FrameInteger: FrameNumber, FixedWidthInteger {}

extension FrameInteger {
    init(converting value: Double) { self = value.isFinite ? Self(clamping: Int64(Swift.max(Swift.min(value, 9.2e18), -9.2e18))) : 0 }
    init(converting value: Int64) { self.init(truncatingIfNeeded: value) }
    static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
    static func divide(_ a: Self, _ b: Self) -> Self? { b == 0 || (b == -1 && a == .min) ? nil : a / b }
    /// Python's sign rule: the remainder takes the divisor's sign.
    static func remainder(_ a: Self, _ b: Self) -> Self? {
        guard b != 0, !(b == -1 && a == .min) else { return b == -1 ? 0 : nil }
        let r = a % b
        return r != 0 && (r < 0) != (b < 0) ? r &+ b : r
    }
    static func negate(_ a: Self) -> Self { 0 &- a }
}

protocol FrameFloat: FrameNumber, BinaryFloatingPoint {}

extension FrameFloat {
    static func add(_ a: Self, _ b: Self) -> Self { a + b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    static func divide(_ a: Self, _ b: Self) -> Self? { a / b }
    static func remainder(_ a: Self, _ b: Self) -> Self? {
        let r = a.truncatingRemainder(dividingBy: b)
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }
    static func negate(_ a: Self) -> Self { -a }
}

extension Int32: FrameInteger {
    static var type: DataType { .int32 }
    static func storage(_ values: [Int32]) -> Column.Storage { .int32(values) }
}

extension Int64: FrameInteger {
    static var type: DataType { .int64 }
    static func storage(_ values: [Int64]) -> Column.Storage { .int64(values) }
}

extension Float: FrameFloat {
    static var type: DataType { .float }
    init(converting value: Double) { self.init(value) }
    init(converting value: Int64) { self.init(value) }
    static func storage(_ values: [Float]) -> Column.Storage { .float(values) }
}

extension Double: FrameFloat {
    static var type: DataType { .double }
    init(converting value: Double) { self = value }
    init(converting value: Int64) { self.init(value) }
    static func storage(_ values: [Double]) -> Column.Storage { .double(values) }
}
