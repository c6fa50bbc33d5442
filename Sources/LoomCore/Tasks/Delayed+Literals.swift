/// Literals stand for constant tasks where a `Delayed` is expected, so arrays can mix computed
/// and plain values: `total.delayed([a, b, 10])`.
///
/// Each literal becomes one tiny task running a built-in identity function. The built-ins are in
/// every `TaskRegistry`, so such graphs run on worker processes too.
enum BuiltinFunctions {
    static let int = TaskFunction("loom.constant-int") { (value: Int) in value }
    static let double = TaskFunction("loom.constant-double") { (value: Double) in value }
    static let string = TaskFunction("loom.constant-string") { (value: String) in value }
    static let bool = TaskFunction("loom.constant-bool") { (value: Bool) in value }

    static let all: [AnyTaskFunction] = [int.erased, double.erased, string.erased, bool.erased]
}

extension Delayed: ExpressibleByIntegerLiteral where Value == Int {
    public init(integerLiteral value: Int) { self = BuiltinFunctions.int.delayed(value) }
}

extension Delayed: ExpressibleByFloatLiteral where Value == Double {
    public init(floatLiteral value: Double) { self = BuiltinFunctions.double.delayed(value) }
}

extension Delayed: ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral, ExpressibleByStringLiteral
where Value == String {
    public init(stringLiteral value: String) { self = BuiltinFunctions.string.delayed(value) }
}

extension Delayed: ExpressibleByBooleanLiteral where Value == Bool {
    public init(booleanLiteral value: Bool) { self = BuiltinFunctions.bool.delayed(value) }
}
