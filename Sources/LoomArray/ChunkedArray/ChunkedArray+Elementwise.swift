import LoomCore

// Elementwise operations, with numpy's broadcasting. None of them is a task of its own: chains
// fuse into one task per block. Comparisons and logic follow Swift's SIMD spelling (`.<`, `.&`),
// since `<` and `==` promise a `Bool`.

extension ChunkedArray {
    var operand: Operand<Element> { .array(expression) }

    static func elementwise<In: ArrayElement>(
        _ operation: ElementwiseExpression<In, Element>.Operation, _ operands: [Operand<In>], _ symbol: String
    ) -> ChunkedArray {
        ChunkedArray(ElementwiseExpression<In, Element>(operation, operands, symbol: symbol))
    }

    /// The values converted to another element type, as numpy's `astype` (floats truncate
    /// toward zero into integers; nonzero is `true`).
    public func astype<Target: ArrayElement>(_: Target.Type) -> ChunkedArray<Target> {
        if let same = self as? ChunkedArray<Target> { return same }
        return ChunkedArray<Target>(CastExpression<Element, Target>(expression))
    }

    public static func .== (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.equal), [lhs.operand, rhs.operand], ".==") }
    public static func .== (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.equal), [lhs.operand, .scalar(rhs)], ".==") }
    public static func .!= (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.notEqual), [lhs.operand, rhs.operand], ".!=") }
    public static func .!= (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.notEqual), [lhs.operand, .scalar(rhs)], ".!=") }
    public static func .< (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.less), [lhs.operand, rhs.operand], ".<") }
    public static func .< (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.less), [lhs.operand, .scalar(rhs)], ".<") }
    public static func .<= (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.lessOrEqual), [lhs.operand, rhs.operand], ".<=") }
    public static func .<= (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.lessOrEqual), [lhs.operand, .scalar(rhs)], ".<=") }
    public static func .> (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.greater), [lhs.operand, rhs.operand], ".>") }
    public static func .> (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.greater), [lhs.operand, .scalar(rhs)], ".>") }
    public static func .>= (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray<Bool> { .elementwise(.binary(.greaterOrEqual), [lhs.operand, rhs.operand], ".>=") }
    public static func .>= (lhs: ChunkedArray, rhs: Element) -> ChunkedArray<Bool> { .elementwise(.binary(.greaterOrEqual), [lhs.operand, .scalar(rhs)], ".>=") }
}

extension ChunkedArray where Element == Bool {
    public static func .& (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.and), [lhs.operand, rhs.operand], ".&") }
    public static func .| (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.or), [lhs.operand, rhs.operand], ".|") }
    public static prefix func .! (operand: ChunkedArray) -> ChunkedArray { .elementwise(.unary(.not), [operand.operand], ".!") }
}

extension ChunkedArray where Element: NumericElement {
    public static func + (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.add), [lhs.operand, rhs.operand], "+") }
    public static func + (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { .elementwise(.binary(.add), [lhs.operand, .scalar(rhs)], "+") }
    public static func + (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.add), [.scalar(lhs), rhs.operand], "+") }
    public static func - (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.subtract), [lhs.operand, rhs.operand], "-") }
    public static func - (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { .elementwise(.binary(.subtract), [lhs.operand, .scalar(rhs)], "-") }
    public static func - (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.subtract), [.scalar(lhs), rhs.operand], "-") }
    public static func * (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.multiply), [lhs.operand, rhs.operand], "*") }
    public static func * (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { .elementwise(.binary(.multiply), [lhs.operand, .scalar(rhs)], "*") }
    public static func * (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.multiply), [.scalar(lhs), rhs.operand], "*") }
    /// Integer arrays divide as Swift's integers do (truncating); a division by zero gives 0.
    public static func / (lhs: ChunkedArray, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.divide), [lhs.operand, rhs.operand], "/") }
    public static func / (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { .elementwise(.binary(.divide), [lhs.operand, .scalar(rhs)], "/") }
    public static func / (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { .elementwise(.binary(.divide), [.scalar(lhs), rhs.operand], "/") }
    public static prefix func - (operand: ChunkedArray) -> ChunkedArray { .elementwise(.unary(.negate), [operand.operand], "-") }
}

/// `|x|` elementwise.
public func abs<E: NumericElement>(_ x: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.unary(.absolute), [x.operand], "abs") }
public func exp<E: FloatingElement>(_ x: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.unary(.exp), [x.operand], "exp") }
public func log<E: FloatingElement>(_ x: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.unary(.log), [x.operand], "log") }
public func sqrt<E: FloatingElement>(_ x: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.unary(.sqrt), [x.operand], "sqrt") }
public func pow<E: NumericElement>(_ x: ChunkedArray<E>, _ y: E) -> ChunkedArray<E> { .elementwise(.binary(.power), [x.operand, .scalar(y)], "pow") }
public func pow<E: NumericElement>(_ x: ChunkedArray<E>, _ y: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.binary(.power), [x.operand, y.operand], "pow") }
/// The smaller of each pair (NaN if either is NaN), numpy's `minimum`.
public func minimum<E: NumericElement>(_ x: ChunkedArray<E>, _ y: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.binary(.minimum), [x.operand, y.operand], "minimum") }
public func maximum<E: NumericElement>(_ x: ChunkedArray<E>, _ y: ChunkedArray<E>) -> ChunkedArray<E> { .elementwise(.binary(.maximum), [x.operand, y.operand], "maximum") }

extension ChunkedArray where Element: FloatingElement {
    public func exp() -> ChunkedArray { LoomArray.exp(self) }
    public func log() -> ChunkedArray { LoomArray.log(self) }
    public func squareRoot() -> ChunkedArray { LoomArray.sqrt(self) }
}
