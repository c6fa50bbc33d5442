/// The arguments of one running task, read in order by a function's erased body.
///
/// Dependencies are read straight from the executor's result slots: no array of arguments is
/// built per task. The executor guarantees every slot a task reads was filled before it started.
public struct TaskArguments {
    let inputs: UnsafeBufferPointer<GraphInput>
    let results: UnsafePointer<(any Sendable)?>
    let function: AnyTaskFunction
    var position = 0

    public init(graph: TaskGraph, task: Int, results: UnsafePointer<(any Sendable)?>, inputs: UnsafeBufferPointer<GraphInput>) {
        self.inputs = UnsafeBufferPointer(rebasing: inputs[graph.inputRange(of: task)])
        self.results = results
        self.function = graph.functions[task]
    }

    mutating func next<T>(_: T.Type) throws -> T {
        defer { position += 1 }
        guard position < inputs.count else {
            throw LoomError(.typeMismatch, "'\(function.name)' expects more arguments than the task gives (\(inputs.count))", function: function.name)
        }
        let value = try resolve(inputs[position])
        if let typed = value as? T { return typed }
        if let list = value as? ListParts, let assembling = T.self as? any ListAssemblable.Type,
            let typed = assembling.assemble(list.parts) as? T
        {
            return typed
        }
        throw LoomError(
            .typeMismatch,
            "argument \(position + 1) of '\(function.name)' should be \(String(reflecting: T.self)), got \(String(reflecting: type(of: value)))",
            function: function.name)
    }

    private func resolve(_ input: GraphInput) throws -> any Sendable {
        switch input {
        case .literal(let value): return value
        case .dependency(let index):
            guard let value = results[Int(index)] else {
                throw LoomError(.missingDependency, "a dependency of '\(function.name)' has no result", function: function.name)
            }
            return value
        case .list(let parts): return ListParts(parts: try parts.map(resolve))
        case .existing(let key):
            throw LoomError(
                .unsupported, "'\(key)' is a future of a distributed client; compute this graph on that client",
                key: key, function: function.name)
        }
    }
}

/// The computed parts of a list argument, before the function's element type is known.
struct ListParts: Sendable {
    let parts: [any Sendable]
}

/// The encoded arguments of one task, as a process worker receives them.
public struct EncodedArguments {
    let slices: [UnsafeRawBufferPointer]
    let function: String
    var position = 0
    /// Seconds the call spent decoding its arguments and encoding its result.
    public internal(set) var serializationSeconds = 0.0

    public init(_ slices: [UnsafeRawBufferPointer], function: String) {
        self.slices = slices
        self.function = function
    }

    mutating func next<T: Decodable>(_: T.Type) throws -> T {
        defer { position += 1 }
        guard position < slices.count else {
            throw LoomError(.typeMismatch, "'\(function)' expects more arguments than the task gives (\(slices.count))", function: function)
        }
        do {
            return try ValueCodec.decode(T.self, from: slices[position])
        } catch {
            throw LoomError(
                .typeMismatch, "argument \(position + 1) of '\(function)' does not decode as \(String(reflecting: T.self)): \(error)",
                function: function, underlying: error)
        }
    }
}
