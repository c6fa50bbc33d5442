import LoomCore

/// An array expression: what an array is (its shape, the operation and its operands), not yet
/// how it is cut into blocks. Lowering turns it into tasks once the chunk budget is known,
/// which is why `.auto` chunks can follow the cluster that computes the array.
protocol ArrayExpression<Element>: AnyObject, Sendable {
    associatedtype Element: ArrayElement
    var shape: [Int] { get }
    /// Why the expression cannot be computed (shapes that do not match, a bad axis), if so:
    /// kept until `compute()` throws it, since operators cannot throw.
    var failure: LoomError? { get }
    /// What its tasks are called (`random`, `add`, `sum`): the prefix of their keys.
    var name: String { get }
    func lower(_ lowering: Lowering) throws -> Lowered<Element>
}

extension ArrayExpression {
    var failure: LoomError? { nil }
}

/// An array as blocks: task outputs, or a fused expression that becomes a task per block only
/// when something needs the blocks themselves.
struct Lowered<E: ArrayElement>: Sendable {
    enum Content: Sendable {
        case blocks([NodeInput])
        case fused(Fused)
    }

    var layout: ChunkLayout
    var content: Content
    var name: String

    var shape: [Int] { layout.shape }

    /// The array as a fused expression: materialized blocks become its one leaf.
    var fused: Fused {
        switch content {
        case .fused(let fused): return fused
        case .blocks(let blocks):
            let leaf = FusedLeaf(source: .blocks(layout, blocks), sourceShape: shape, map: AxisMap.identity(rank: shape.count))
            return .leaf(leaf, inType: E.self)
        }
    }

    /// Whether the array's blocks can be cut finer at no cost (no materialized block read).
    var isGenerated: Bool {
        guard case .fused(let fused) = content else { return false }
        return fused.leaves.allSatisfy { if case .blocks = $0.source { false } else { true } }
    }
}

/// One lowering of an expression graph: the budget `.auto` chunks follow, and each
/// expression's blocks, made once however many times the expression is used.
final class Lowering {
    let budget: ChunkBudget
    private var lowered: [ObjectIdentifier: Any] = [:]
    private var materialized: [ObjectIdentifier: Any] = [:]

    init(budget: ChunkBudget) { self.budget = budget }

    func lower<E>(_ expression: any ArrayExpression<E>) throws -> Lowered<E> {
        if let failure = expression.failure { throw failure }
        let identity = ObjectIdentifier(expression)
        if let known = lowered[identity] as? Lowered<E> { return known }
        let result = try expression.lower(self)
        lowered[identity] = result
        return result
    }

    /// The expression's blocks as task outputs (one fused task per block if need be), made
    /// once per expression.
    func blocks<E>(_ expression: any ArrayExpression<E>) throws -> Lowered<E> {
        let identity = ObjectIdentifier(expression)
        if let known = materialized[identity] as? Lowered<E> { return known }
        let result = try materialize(try lower(expression))
        materialized[identity] = result
        return result
    }

    /// Blocks as task outputs: each block of a fused expression becomes one task.
    func materialize<E>(_ array: Lowered<E>) throws -> Lowered<E> {
        guard case .fused(let fused) = array.content else { return array }
        var blocks: [NodeInput] = []
        blocks.reserveCapacity(array.layout.blockCount)
        let function = fused.inType.blockwiseKernel(to: E.self)
        for index in array.layout.blockIndices {
            let (program, inputs) = try fused.program(for: index, of: array.layout)
            blocks.append(task(array.name, function, [.literal(program), .list(inputs)]))
        }
        return Lowered(layout: array.layout, content: .blocks(blocks), name: array.name)
    }

    /// A task node; `name` groups its tasks in progress bars and dashboards.
    func task(_ name: String, _ function: AnyTaskFunction, _ inputs: [NodeInput]) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs))
    }
}

extension ArrayElement {
    /// The kernel that runs a program computing in this type and returns `Out`s.
    static func blockwiseKernel<Out: ArrayElement>(to _: Out.Type) -> AnyTaskFunction {
        kernels.blockwise(to: Out.self)
    }
}

/// Names of fused tasks list their operations, newest first, as Dask's do (`sum-add-random`),
/// kept short.
func fusedName(_ operation: String, _ operands: String...) -> String {
    var parts = [operation]
    for operand in operands {
        for part in operand.split(separator: "-") where !parts.contains(String(part)) { parts.append(String(part)) }
    }
    return parts.prefix(4).joined(separator: "-")
}
