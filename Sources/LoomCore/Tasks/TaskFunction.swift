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
    /// One of the two is set: the body as given.
    private let syncBody: (@Sendable (repeat each Argument) throws -> Result)?
    /// An async body takes its arguments as one tuple (see `init(_:tupled:)`).
    private let asyncBody: (@Sendable ((repeat each Argument)) async throws -> Result)?

    public init(_ name: String, _ body: @escaping @Sendable (repeat each Argument) throws -> Result) {
        self.syncBody = body
        self.asyncBody = nil
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
                prepareAsync: nil,
                decodeResult: { bytes in try ValueCodec.decode(Result.self, from: bytes) }))
    }

    /// A function whose body awaits (I/O, other tasks through `TaskContext.client()`).
    ///
    /// On a cluster worker it runs as a Swift task: it holds one of the worker's thread slots
    /// while it runs, but no thread while it awaits, and a task that asks for a client gives its
    /// slot back (Dask's `secede`). The in-process schedulers, which run tasks on threads of
    /// their own, wait for it on the thread that runs it.
    public init(_ name: String, _ body: @escaping @Sendable (repeat each Argument) async throws -> Result) {
        self.init(name, tupled: { (values: (repeat each Argument)) in try await body(repeat each values) })
    }

    /// An async function whose body takes its arguments as one tuple: how code generic over the
    /// arguments wraps a body (an actor's constructor and methods), as a closure cannot declare
    /// a parameter pack.
    package init(_ name: String, tupled body: @escaping @Sendable ((repeat each Argument)) async throws -> Result) {
        self.syncBody = nil
        self.asyncBody = body
        self.erased = AnyTaskFunction(
            name: name,
            signature: signature(of: (repeat each Argument).self, returning: Result.self),
            invoke: { arguments in
                let values = (repeat try arguments.next((each Argument).self))
                return try blockingWait { try await body((repeat each values)) }
            },
            codable: .init(
                invokeEncoded: { arguments in
                    let values = (repeat try arguments.next((each Argument).self))
                    return try ValueCodec.encode(try blockingWait { try await body((repeat each values)) })
                },
                prepareAsync: { arguments in
                    // Arguments are borrowed only until this returns: decode them now, await later.
                    let decoding = ContinuousClock.now
                    let values = (repeat try arguments.next((each Argument).self))
                    arguments.serializationSeconds = (ContinuousClock.now - decoding) / .seconds(1)
                    return {
                        let result = try await body((repeat each values))
                        let encoding = ContinuousClock.now
                        let bytes = try ValueCodec.encode(result)
                        return (bytes, (ContinuousClock.now - encoding) / .seconds(1))
                    }
                },
                decodeResult: { bytes in try ValueCodec.decode(Result.self, from: bytes) }))
    }

    public var name: String { erased.name }

    /// Calls the function directly, in this thread (an async body is waited for: never call
    /// one this way on Swift's cooperative threads; `await call(…)` instead).
    public func callAsFunction(_ arguments: repeat each Argument) throws -> Result {
        if let syncBody { return try syncBody(repeat each arguments) }
        let (body, values) = (asyncBody!, (repeat each arguments))
        return try blockingWait { try await body((repeat each values)) }
    }

    /// Calls the function directly, awaiting an async body.
    public func call(_ arguments: repeat each Argument) async throws -> Result {
        if let syncBody { return try syncBody(repeat each arguments) }
        return try await asyncBody!((repeat each arguments))
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
