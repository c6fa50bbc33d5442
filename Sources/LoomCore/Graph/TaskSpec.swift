/// One task of a graph written out by hand, the way a Dask user writes a dict graph:
/// `TaskSpec(key: "b", function: inc, inputs: [.task("a")])`.
public struct TaskSpec: Sendable {
    public var key: Key
    public var function: AnyTaskFunction
    public var inputs: [TaskSpecInput]

    public init(key: Key, function: some TaskFunctionRepresentable, inputs: [TaskSpecInput]) {
        self.key = key
        self.function = function.erased
        self.inputs = inputs
    }
}

public enum TaskSpecInput: Sendable {
    case literal(any Sendable)
    /// The result of the task with this key.
    case task(Key)
    case list([TaskSpecInput])
}

/// An input of a task in an indexed graph.
public enum GraphInput: Sendable {
    case literal(any Sendable)
    case dependency(Int32)
    case list([GraphInput])
    /// A result held by a distributed cluster, outside this graph.
    case existing(Key)
}
