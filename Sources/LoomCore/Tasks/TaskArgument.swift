import Foundation

/// What a task function accepts in one argument position of `delayed(…)`: a plain value, the
/// `Delayed` result of another call, or an array mixing both. `Resolved` is the type the
/// function receives once the graph has run.
///
/// Your own `Codable` types join with an empty extension: `extension Point: TaskArgument {}`.
/// `Constant(value)` wraps any other value (dictionaries and sets among them).
public protocol TaskArgument<Resolved> {
    associatedtype Resolved: Sendable = Self
    var taskInput: NodeInput { get }
}

extension TaskArgument where Resolved == Self, Self: Sendable {
    public var taskInput: NodeInput { .literal(self) }
}

/// Any value passed as an argument as it is.
public struct Constant<Value: Sendable>: TaskArgument {
    public typealias Resolved = Value
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public var taskInput: NodeInput { .literal(value) }
}

extension Int: TaskArgument {}
extension Int8: TaskArgument {}
extension Int16: TaskArgument {}
extension Int32: TaskArgument {}
extension Int64: TaskArgument {}
extension UInt: TaskArgument {}
extension UInt8: TaskArgument {}
extension UInt16: TaskArgument {}
extension UInt32: TaskArgument {}
extension UInt64: TaskArgument {}
extension Double: TaskArgument {}
extension Float: TaskArgument {}
extension Bool: TaskArgument {}
extension String: TaskArgument {}
extension Data: TaskArgument {}

extension Array: TaskArgument where Element: TaskArgument {
    public typealias Resolved = [Element.Resolved]

    /// An array of plain values stays one value; one holding `Delayed` elements becomes a list
    /// the scheduler assembles once its elements are computed.
    public var taskInput: NodeInput {
        if let plain = self as? [Element.Resolved] { return .literal(plain) }
        return .list(map(\.taskInput))
    }
}

extension Optional: TaskArgument where Wrapped: TaskArgument {
    public typealias Resolved = Wrapped.Resolved?
    public var taskInput: NodeInput {
        switch self {
        case .some(let wrapped): wrapped.taskInput
        case .none: .literal(Wrapped.Resolved?.none as any Sendable)
        }
    }
}

/// Lets the scheduler build `[Element]` from list parts it only knows as `any Sendable`.
protocol ListAssemblable {
    static func assemble(_ parts: [any Sendable]) -> Self?
}

extension Array: ListAssemblable {
    static func assemble(_ parts: [any Sendable]) -> Self? {
        var result: [Element] = []
        result.reserveCapacity(parts.count)
        for part in parts {
            guard let element = part as? Element else { return nil }
            result.append(element)
        }
        return result
    }
}
