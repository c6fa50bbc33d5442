import Foundation
import LoomCore

/// A type an array can hold: `Double`, `Float`, `Int64`, `Int32` and `Bool`.
///
/// Kernels are written once, generically, against these scalar operations; each conformance is
/// in this module, so the optimizer specializes every kernel for every element type. The
/// operations a type does not have in the public API (arithmetic on `Bool`, `exp` on integers)
/// are never reached through it.
public protocol ArrayElement: Codable, Sendable, BitwiseCopyable, Equatable, CustomStringConvertible {
    /// numpy's name for the type (`float64`), in errors and task names.
    static var dtype: String { get }
    static var isFloatingPoint: Bool { get }
    /// Loom's registered kernels for this element type (the functions workers run).
    static var kernels: ElementKernels<Self> { get }

    static var zero: Self { get }
    static var one: Self { get }
    /// The value as a double (exact for every `Float` and for integers up to 2^53).
    var asDouble: Double { get }
    /// The value as an integer: floats truncate toward zero, as numpy's `astype` does.
    var asInt64: Int64 { get }
    init(fromDouble value: Double)
    init(fromInt64 value: Int64)
    /// Nonzero is true, as in numpy.
    var isTrue: Bool { get }

    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// Floats divide; integers truncate, and a division by zero gives 0 (numpy gives 0 with a
    /// warning) rather than trapping.
    static func divide(_ a: Self, _ b: Self) -> Self
    static func power(_ a: Self, _ b: Self) -> Self
    static func negate(_ a: Self) -> Self
    static func absolute(_ a: Self) -> Self
    static func exponential(_ a: Self) -> Self
    static func logarithm(_ a: Self) -> Self
    static func squareRoot(_ a: Self) -> Self
    static func less(_ a: Self, _ b: Self) -> Bool
    /// The smaller, or NaN if either is NaN (numpy's `minimum`; not FloatingPoint.minimum, which drops a NaN).
    static func smaller(_ a: Self, _ b: Self) -> Self
    static func larger(_ a: Self, _ b: Self) -> Self
    /// Values `min`/`max` reductions start from.
    static var largest: Self { get }
    static var smallest: Self { get }
}

/// Elements with arithmetic: every element type but `Bool`.
public protocol NumericElement: ArrayElement {}
/// `Double` and `Float`: the ones with `exp`, `log`, `sqrt`, `mean`, `std`, `random`.
public protocol FloatingElement: NumericElement, BinaryFloatingPoint {}

extension FloatingElement {
    public static var isFloatingPoint: Bool { true }
    public static var zero: Self { 0 }
    public static var one: Self { 1 }
    public var isTrue: Bool { self != 0 }
    @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a + b }
    @inline(__always) public static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    @inline(__always) public static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    @inline(__always) public static func divide(_ a: Self, _ b: Self) -> Self { a / b }
    @inline(__always) public static func negate(_ a: Self) -> Self { -a }
    @inline(__always) public static func absolute(_ a: Self) -> Self { Swift.abs(a) }
    @inline(__always) public static func squareRoot(_ a: Self) -> Self { a.squareRoot() }
    @inline(__always) public static func less(_ a: Self, _ b: Self) -> Bool { a < b }
    @inline(__always) public static func smaller(_ a: Self, _ b: Self) -> Self { a < b || a.isNaN ? a : b }
    @inline(__always) public static func larger(_ a: Self, _ b: Self) -> Self { a > b || a.isNaN ? a : b }
    public static var largest: Self { .infinity }
    public static var smallest: Self { -.infinity }
}

extension Double: FloatingElement {
    public static let dtype = "float64"
    public static let kernels = ElementKernels<Double>()
    public var asDouble: Double { self }
    public var asInt64: Int64 { isFinite ? Int64(exactly: rounded(.towardZero)) ?? (self < 0 ? .min : .max) : 0 }
    public init(fromDouble value: Double) { self = value }
    public init(fromInt64 value: Int64) { self = Double(value) }
    public static func power(_ a: Double, _ b: Double) -> Double { Foundation.pow(a, b) }
    public static func exponential(_ a: Double) -> Double { Foundation.exp(a) }
    public static func logarithm(_ a: Double) -> Double { Foundation.log(a) }
}

extension Float: FloatingElement {
    public static let dtype = "float32"
    public static let kernels = ElementKernels<Float>()
    public var asDouble: Double { Double(self) }
    public var asInt64: Int64 { Double(self).asInt64 }
    public init(fromDouble value: Double) { self = Float(value) }
    public init(fromInt64 value: Int64) { self = Float(value) }
    public static func power(_ a: Float, _ b: Float) -> Float { Foundation.powf(a, b) }
    public static func exponential(_ a: Float) -> Float { Foundation.expf(a) }
    public static func logarithm(_ a: Float) -> Float { Foundation.logf(a) }
}

/// `Int64` and `Int32`, which share everything but their width.
public protocol IntegerElement: NumericElement, FixedWidthInteger, SignedInteger {}

extension IntegerElement {
    public static var isFloatingPoint: Bool { false }
    public static var zero: Self { 0 }
    public static var one: Self { 1 }
    public var asDouble: Double { Double(self) }
    public var asInt64: Int64 { Int64(self) }
    public init(fromDouble value: Double) { self.init(truncatingIfNeeded: value.asInt64) }
    public init(fromInt64 value: Int64) { self.init(truncatingIfNeeded: value) }
    public var isTrue: Bool { self != 0 }
    // Wrapping arithmetic, as numpy's fixed-width integers: an overflow never traps a worker.
    @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inline(__always) public static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    @inline(__always) public static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
    @inline(__always) public static func divide(_ a: Self, _ b: Self) -> Self {
        let (quotient, overflow) = a.dividedReportingOverflow(by: b)
        return b == 0 ? 0 : overflow ? a : quotient
    }
    public static func power(_ a: Self, _ b: Self) -> Self {
        guard b >= 0 else { return a == 1 ? 1 : a == -1 ? (b % 2 == 0 ? 1 : -1) : 0 }
        var result: Self = 1, base = a, exponent = b
        while exponent > 0 {
            if exponent & 1 == 1 { result = result &* base }
            base = base &* base
            exponent >>= 1
        }
        return result
    }
    @inline(__always) public static func negate(_ a: Self) -> Self { 0 &- a }
    @inline(__always) public static func absolute(_ a: Self) -> Self { a < 0 ? 0 &- a : a }
    public static func exponential(_ a: Self) -> Self { Self(fromDouble: Foundation.exp(Double(a))) }
    public static func logarithm(_ a: Self) -> Self { Self(fromDouble: Foundation.log(Double(a))) }
    public static func squareRoot(_ a: Self) -> Self { Self(fromDouble: Double(a).squareRoot()) }
    @inline(__always) public static func less(_ a: Self, _ b: Self) -> Bool { a < b }
    @inline(__always) public static func smaller(_ a: Self, _ b: Self) -> Self { Swift.min(a, b) }
    @inline(__always) public static func larger(_ a: Self, _ b: Self) -> Self { Swift.max(a, b) }
    public static var largest: Self { .max }
    public static var smallest: Self { .min }
}

extension Int64: IntegerElement {
    public static let dtype = "int64"
    public static let kernels = ElementKernels<Int64>()
}

extension Int32: IntegerElement {
    public static let dtype = "int32"
    public static let kernels = ElementKernels<Int32>()
}

extension Bool: ArrayElement {
    public static let dtype = "bool"
    public static let isFloatingPoint = false
    public static let kernels = ElementKernels<Bool>()
    public static var zero: Bool { false }
    public static var one: Bool { true }
    public var asDouble: Double { self ? 1 : 0 }
    public var asInt64: Int64 { self ? 1 : 0 }
    public init(fromDouble value: Double) { self = value != 0 }
    public init(fromInt64 value: Int64) { self = value != 0 }
    public var isTrue: Bool { self }
    // numpy's booleans: + is or, * is and.
    public static func add(_ a: Bool, _ b: Bool) -> Bool { a || b }
    public static func subtract(_ a: Bool, _ b: Bool) -> Bool { a != b }
    public static func multiply(_ a: Bool, _ b: Bool) -> Bool { a && b }
    public static func divide(_ a: Bool, _ b: Bool) -> Bool { a && b }
    public static func power(_ a: Bool, _ b: Bool) -> Bool { a || !b }
    public static func negate(_ a: Bool) -> Bool { !a }
    public static func absolute(_ a: Bool) -> Bool { a }
    public static func exponential(_ a: Bool) -> Bool { true }
    public static func logarithm(_ a: Bool) -> Bool { a }
    public static func squareRoot(_ a: Bool) -> Bool { a }
    public static func less(_ a: Bool, _ b: Bool) -> Bool { !a && b }
    public static func smaller(_ a: Bool, _ b: Bool) -> Bool { a && b }
    public static func larger(_ a: Bool, _ b: Bool) -> Bool { a || b }
    public static var largest: Bool { true }
    public static var smallest: Bool { false }
}
