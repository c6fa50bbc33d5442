/// A task function with its types erased, as schedulers and registries hold it.
///
/// One is made per function (not per task), so tasks stay a pointer wide. Functions built from
/// `Codable` types also know how to run on encoded arguments, which is what lets another process
/// built from the same code run them.
public final class AnyTaskFunction: Sendable {
    /// The stable name workers look the function up by.
    public let name: String
    /// Argument and result types, e.g. `(Swift.Int, Swift.Int) -> Swift.Int`; part of the registry fingerprint.
    public let signature: String
    let invoke: @Sendable (inout TaskArguments) throws -> any Sendable
    /// Present when arguments and result are `Codable`: the function may run in another process.
    let codable: CodableCalls?

    struct CodableCalls: Sendable {
        let invokeEncoded: @Sendable (inout EncodedArguments) throws -> [UInt8]
        /// For an async body: decodes the arguments and returns the call to await.
        let prepareAsync: (@Sendable (inout EncodedArguments) throws -> AsyncCall)?
        let decodeResult: @Sendable (UnsafeRawBufferPointer) throws -> any Sendable
    }

    init(
        name: String, signature: String,
        invoke: @escaping @Sendable (inout TaskArguments) throws -> any Sendable,
        codable: CodableCalls?
    ) {
        self.name = name
        self.signature = signature
        self.invoke = invoke
        self.codable = codable
    }

    /// Whether another process built from the same code can run this function.
    public var runsInOtherProcesses: Bool { codable != nil }

    /// Runs the function on arguments held in memory.
    public func call(_ arguments: inout TaskArguments) throws -> any Sendable {
        try invoke(&arguments)
    }

    /// Decodes the arguments, runs the function and encodes its result.
    public func callEncoded(_ arguments: inout EncodedArguments) throws -> [UInt8] {
        guard let codable else {
            throw LoomError(.unsupported, "'\(name)' is a local closure; only a TaskFunction can run on encoded arguments", function: name)
        }
        return try codable.invokeEncoded(&arguments)
    }

    /// Whether the body awaits: a worker runs it as a Swift task, not on a thread (`prepareCall`).
    public var isAsync: Bool { codable?.prepareAsync != nil }

    /// An async function's call: the encoded result and the seconds spent encoding it.
    public typealias AsyncCall = @Sendable () async throws -> (bytes: [UInt8], encodingSeconds: Double)

    /// Decodes the arguments of an async function (they are borrowed only until this returns)
    /// and returns the call, to be awaited. A sync function runs now; the closure returns its result.
    public func prepareCall(_ arguments: inout EncodedArguments) throws -> AsyncCall {
        guard let codable else {
            throw LoomError(.unsupported, "'\(name)' is a local closure; only a TaskFunction can run on encoded arguments", function: name)
        }
        guard let prepareAsync = codable.prepareAsync else {
            let bytes = try codable.invokeEncoded(&arguments)
            return { (bytes, 0) }
        }
        return try prepareAsync(&arguments)
    }

    /// Turns an encoded result of this function back into a value.
    public func decodeResult(_ bytes: UnsafeRawBufferPointer) throws -> any Sendable {
        guard let codable else {
            throw LoomError(.unsupported, "'\(name)' is a local closure and has no encoded results", function: name)
        }
        return try codable.decodeResult(bytes)
    }
}

/// Anything that can be handed to a registry or a scheduler as a task function.
public protocol TaskFunctionRepresentable: Sendable {
    var erased: AnyTaskFunction { get }
    /// Functions that come with it and are registered with it: the steps of a whole operation
    /// (a key function's grouping step beside its splitting one). None by default.
    var companions: [AnyTaskFunction] { get }
}

extension TaskFunctionRepresentable {
    public var companions: [AnyTaskFunction] { [] }
}

extension AnyTaskFunction: TaskFunctionRepresentable {
    public var erased: AnyTaskFunction { self }
}

func signature<each A, R>(of _: (repeat each A).Type, returning _: R.Type) -> String {
    var names: [String] = []
    for type in repeat (each A).self { names.append(String(reflecting: type)) }
    return "(" + names.joined(separator: ", ") + ") -> " + String(reflecting: R.self)
}
