/// One call of a function on its inputs, in a graph built lazily by `delayed(…)`.
///
/// Nodes are immutable and refer to the nodes they depend on, so a graph can never contain a
/// cycle and a computation collects exactly the nodes its outputs need (culling comes free).
public final class TaskNode: @unchecked Sendable {
    public let key: Key
    public let function: AnyTaskFunction
    /// Never changed after init except by `deinit`, which owns the node exclusively.
    public private(set) var inputs: [NodeInput]
    /// Where a cluster should run it; nil for anywhere (nearly every node).
    public let placement: TaskPlacement?

    public init(key: Key? = nil, function: AnyTaskFunction, inputs: [NodeInput], placement: TaskPlacement? = nil) {
        self.key = key ?? Key.unique(prefix: function.name)
        self.function = function
        self.inputs = inputs
        self.placement = placement
    }

    /// Releases a long chain of nodes without recursing once per node: the default teardown
    /// would overflow the stack on a chain of a few hundred thousand calls.
    deinit {
        // Most nodes die with their inputs already emptied by an ancestor's teardown.
        guard inputs.contains(where: { if case .node = $0 { true } else if case .list = $0 { true } else { false } }) else { return }
        var nodes: [TaskNode] = []
        Self.collectNodes(in: inputs, into: &nodes)
        inputs = []
        while var node = nodes.popLast() {
            // Unique means this teardown is the last owner: empty it here instead of recursing.
            if isKnownUniquelyReferenced(&node) {
                Self.collectNodes(in: node.inputs, into: &nodes)
                node.inputs = []
            }
        }
    }

    private static func collectNodes(in inputs: [NodeInput], into nodes: inout [TaskNode]) {
        for input in inputs {
            switch input {
            case .literal, .existing: break
            case .node(let node): nodes.append(node)
            case .list(let parts): collectNodes(in: parts, into: &nodes)
            }
        }
    }
}

/// An argument of a node: a value, another node's result, or a list of those.
public enum NodeInput: Sendable {
    case literal(any Sendable)
    case node(TaskNode)
    case list([NodeInput])
    /// A result that already exists on a distributed cluster (a future's key).
    case existing(Key)
}

/// The lazy result of a task: compute it with a scheduler, or pass it to other `delayed` calls.
public struct Delayed<Value: Sendable>: TaskArgument, Sendable {
    public typealias Resolved = Value
    public let node: TaskNode

    public init(node: TaskNode) { self.node = node }

    public var key: Key { node.key }
    public var taskInput: NodeInput { .node(node) }

    /// The same call under a key of your choosing (shown in errors, progress and dashboards).
    public func named(_ key: Key) -> Delayed<Value> {
        Delayed(node: TaskNode(key: key, function: node.function, inputs: node.inputs, placement: node.placement))
    }

    /// The graph that computes this value.
    public func graph() -> TaskGraph { TaskGraph(outputs: [node]) }

    /// The graph as Graphviz DOT text.
    public func dot() -> String { graph().dot() }
}

extension Delayed {
    /// A task that runs a closure on the in-process schedulers: `Delayed { expensive(x) }`.
    public init(name: String = "local", _ body: @escaping @Sendable () throws -> Value) {
        self = LocalFunction(name, body).delayed()
    }
}
