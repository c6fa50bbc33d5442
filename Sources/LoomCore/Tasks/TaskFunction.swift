/// A function tasks can call, under a stable name, with `Codable` arguments and result.
///
/// Swift cannot send closures to other processes, so Loom sends the name instead: every process
/// built from the same code registers the same functions (see `Loom.bootstrap(registering:)`).
///
/// ```swift
/// static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
/// let sum = add.delayed(inc.delayed(1), 41)
/// ```
public struct TaskFunction<each Argument: Codable & Sendable, Result: Codable & Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction
    public let body: @Sendable (repeat each Argument) throws -> Result

    public init(_ name: String, _ body: @escaping @Sendable (repeat each Argument) throws -> Result) {
        self.body = body
        self.erased = AnyTaskFunction(
            name: name,
            signature: signature(of: (repeat each Argument).self, returning: Result.self),
            invoke: { arguments in try body(repeat try arguments.next((each Argument).self)) },
            codable: .init(
                invokeEncoded: { arguments in
                    // Decoding and encoding are timed apart from the call (the dashboard's profile).
                    let decoding = ContinuousClock.now
                    let values = (repeat try arguments.next((each Argument).self))
                    let calling = ContinuousClock.now
                    let result = try body(repeat each values)
                    let encoding = ContinuousClock.now
                    let bytes = try ValueCodec.encode(result)
                    arguments.serializationSeconds = ((calling - decoding) + (ContinuousClock.now - encoding)) / .seconds(1)
                    return bytes
                },
                decodeResult: { bytes in try ValueCodec.decode(Result.self, from: bytes) }))
    }

    public var name: String { erased.name }

    /// Calls the function directly, in this thread.
    public func callAsFunction(_ arguments: repeat each Argument) throws -> Result {
        try body(repeat each arguments)
    }

    /// A lazy call: a task in a graph, run when a scheduler computes it.
    /// Each argument is a value or the `Delayed` result of another call.
    public func delayed<each Input: TaskArgument>(_ arguments: repeat each Input) -> Delayed<Result>
    where repeat (each Input).Resolved == each Argument {
        Delayed(node: TaskNode(function: erased, inputs: taskInputs(repeat each arguments)))
    }
}

/// A function for the in-process schedulers only: any `Sendable` arguments, no registration.
///
/// Use it for quick work with values that are not `Codable`; the process and distributed
/// schedulers refuse it with an error naming the task.
public struct LocalFunction<each Argument: Sendable, Result: Sendable>: TaskFunctionRepresentable {
    public let erased: AnyTaskFunction

    public init(_ name: String = "local", _ body: @escaping @Sendable (repeat each Argument) throws -> Result) {
        self.erased = AnyTaskFunction(
            name: name,
            signature: signature(of: (repeat each Argument).self, returning: Result.self),
            invoke: { arguments in try body(repeat try arguments.next((each Argument).self)) },
            codable: nil)
    }

    public func delayed<each Input: TaskArgument>(_ arguments: repeat each Input) -> Delayed<Result>
    where repeat (each Input).Resolved == each Argument {
        Delayed(node: TaskNode(function: erased, inputs: taskInputs(repeat each arguments)))
    }
}

/// The node inputs of a call's arguments, in order.
func taskInputs<each Input: TaskArgument>(_ arguments: repeat each Input) -> [NodeInput] {
    var inputs: [NodeInput] = []
    for argument in repeat each arguments { inputs.append(argument.taskInput) }
    return inputs
}
