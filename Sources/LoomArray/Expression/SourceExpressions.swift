import LoomCore

/// An expression that could not be built; computing it throws why.
final class InvalidExpression<Element: ArrayElement>: ArrayExpression {
    let error: LoomError
    init(_ error: LoomError) { self.error = error }
    var shape: [Int] { [] }
    var failure: LoomError? { error }
    var name: String { "invalid" }
    func lower(_ lowering: Lowering) throws -> Lowered<Element> { throw error }
}

/// Values that are a function of their position: random numbers, ranges, constants. They are
/// never stored: each task that reads them computes the values it needs, so `x + x.T` of a
/// random `x` reads nothing from memory.
final class GeneratedExpression<Element: ArrayElement>: ArrayExpression {
    enum Kind: Sendable {
        case random(seed: UInt64)
        case range(start: Element, step: Element)
        case constant(Element)
    }

    let shape: [Int]
    let chunks: Chunks
    let kind: Kind

    init(shape: [Int], chunks: Chunks, kind: Kind) {
        self.shape = shape
        self.chunks = chunks
        self.kind = kind
    }

    var name: String {
        switch kind {
        case .random: "random"
        case .range: "arange"
        case .constant: "full"
        }
    }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let layout = try chunks.layout(for: shape, elementBytes: MemoryLayout<Element>.stride, budget: lowering.budget.bytes)
        let identity = AxisMap.identity(rank: shape.count)
        let fused: Fused
        switch kind {
        case .constant(let value):
            fused = .constant(value)
        case .random(let seed):
            fused = .leaf(FusedLeaf(source: .random(seed: seed), sourceShape: shape, map: identity), inType: Element.self)
        case .range(let start, let step):
            fused = .leaf(FusedLeaf(source: .range(start: Constant(start), step: Constant(step)), sourceShape: shape, map: identity), inType: Element.self)
        }
        return Lowered(layout: layout, content: .fused(fused), name: name)
    }
}

/// An in-memory array cut into blocks; each block travels in the graph as a value.
final class LiteralExpression<Element: ArrayElement>: ArrayExpression {
    let array: NDArray<Element>
    let chunks: Chunks

    init(_ array: NDArray<Element>, chunks: Chunks) {
        self.array = array
        self.chunks = chunks
    }

    var shape: [Int] { array.shape }
    var name: String { "array" }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let layout = try chunks.layout(for: shape, elementBytes: MemoryLayout<Element>.stride, budget: lowering.budget.bytes)
        let blocks = layout.blockIndices.map { index -> NodeInput in
            .literal(array.block(start: layout.blockStart(index), shape: layout.blockShape(index)))
        }
        return Lowered(layout: layout, content: .blocks(blocks), name: name)
    }
}

/// Where a block lies in its array: what a block function is given.
public struct BlockInfo: Codable, Sendable, Equatable, TaskArgument {
    /// The block's position among the blocks, per dimension.
    public let index: [Int]
    /// The array position of its first element.
    public let start: [Int]
    public let shape: [Int]
    public let arrayShape: [Int]
}

/// Blocks made by a function of their position (`ChunkedArray.fromBlocks`).
final class BlockFunctionExpression<Element: ArrayElement>: ArrayExpression {
    let shape: [Int]
    let chunks: Chunks
    let function: AnyTaskFunction

    init(shape: [Int], chunks: Chunks, function: AnyTaskFunction) {
        self.shape = shape
        self.chunks = chunks
        self.function = function
    }

    var name: String { function.name }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let layout = try chunks.layout(for: shape, elementBytes: MemoryLayout<Element>.stride, budget: lowering.budget.bytes)
        let blocks = layout.blockIndices.map { index in
            let info = BlockInfo(index: index, start: layout.blockStart(index), shape: layout.blockShape(index), arrayShape: shape)
            return lowering.task(function.name, function, [.literal(info)])
        }
        return Lowered(layout: layout, content: .blocks(blocks), name: name)
    }
}

extension NDArray {
    /// The box of this array starting at `start` with `shape`.
    func block(start: [Int], shape: [Int]) -> NDArray {
        if start.allSatisfy({ $0 == 0 }) && shape == self.shape { return self }
        let plan = AssemblyPlan(shape: shape, pieces: [.init(input: 0, from: start, to: shape.map { _ in 0 }, extent: shape)], resultShape: nil)
        // The box lies within the array by construction.
        return try! BlockAssembly.run(plan, inputs: [self])
    }
}
