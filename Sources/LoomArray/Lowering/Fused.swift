import LoomCore

/// How a source coordinate follows an array's coordinates: `origin + step × index[axis]`, or
/// just `origin` when `axis` is nil (a broadcast or dropped dimension).
///
/// A list of these, one per source dimension, is an affine view: transposes, slices with steps,
/// broadcasts and new axes are all one, so they compose into the leaves of a fused expression and
/// never cost a task.
struct AxisMap: Sendable, Equatable {
    var axis: Int?
    var step: Int
    var origin: Int

    static func identity(rank: Int) -> [AxisMap] {
        (0..<rank).map { AxisMap(axis: $0, step: 1, origin: 0) }
    }

    /// `self` (over an array A's coordinates) after a view that gives A's coordinates from a new
    /// array's (`view[a]` maps A's axis a).
    func composed(with view: [AxisMap]) -> AxisMap {
        guard let axis else { return self }
        let outer = view[axis]
        return AxisMap(axis: outer.axis, step: step * outer.step, origin: origin + step * outer.origin)
    }
}

/// An elementwise expression not yet cut into tasks: a program over leaves, each leaf a view of
/// a materialized array (its blocks are task outputs) or of a generator (random numbers, ranges).
/// Each block of the result becomes one `BlockProgram` and one task.
struct Fused: Sendable {
    /// The element type the program computes in (its leaves' type).
    var inType: any ArrayElement.Type
    var code: [Instruction]
    var constants: [Constant]
    var leaves: [FusedLeaf]

    /// A constant everywhere (`zeros`, `ones`, `full`).
    static func constant<E: ArrayElement>(_ value: E) -> Fused {
        Fused(inType: E.self, code: [.constant(0)], constants: [Constant(value)], leaves: [])
    }

    static func leaf(_ leaf: FusedLeaf, inType: any ArrayElement.Type) -> Fused {
        Fused(inType: inType, code: [.leaf(0)], constants: [], leaves: [leaf])
    }

    /// The same values seen through a view (one `AxisMap` per dimension of this expression).
    func viewed(through view: [AxisMap]) -> Fused {
        var result = self
        for index in result.leaves.indices {
            result.leaves[index].map = result.leaves[index].map.map { $0.composed(with: view) }
        }
        return result
    }

    func applying(_ operation: UnaryOperation) -> Fused {
        var result = self
        result.code.append(.unary(operation))
        return result
    }

    /// `self op other`; both compute in the same element type.
    func combined(with other: Fused, _ operation: BinaryOperation) -> Fused {
        var result = self
        let leafShift = leaves.count, constantShift = constants.count
        result.leaves += other.leaves
        result.constants += other.constants
        for instruction in other.code {
            switch instruction {
            case .leaf(let index): result.code.append(.leaf(index + leafShift))
            case .constant(let index): result.code.append(.constant(index + constantShift))
            default: result.code.append(instruction)
            }
        }
        result.code.append(.binary(operation))
        return result
    }
}

struct FusedLeaf: Sendable {
    enum Source: Sendable {
        /// A materialized array: its layout and one task output per block, row-major.
        case blocks(ChunkLayout, [NodeInput])
        case random(seed: UInt64)
        case range(start: Constant, step: Constant)
    }

    var source: Source
    /// The shape of the whole source array.
    var sourceShape: [Int]
    /// One entry per source dimension.
    var map: [AxisMap]
}

extension Fused {
    /// The program and inputs of the task computing block `index` of `layout`.
    func program(for index: [Int], of layout: ChunkLayout) throws -> (BlockProgram, [NodeInput]) {
        let start = layout.blockStart(index), shape = layout.blockShape(index)
        var inputs: [NodeInput] = []
        var inputPositions: [AnyHashable: Int] = [:]
        var leaves: [Leaf] = []
        for (leafIndex, leaf) in self.leaves.enumerated() {
            var offset = 0
            var strides = [Int](repeating: 0, count: shape.count)
            var source = Leaf.Source.input(0)
            var inputShape: [Int]?
            switch leaf.source {
            case .blocks(let sourceLayout, let blocks):
                var blockIndex = [Int](repeating: 0, count: leaf.map.count)
                var within = [Int](repeating: 0, count: leaf.map.count)
                for (dimension, map) in leaf.map.enumerated() {
                    let first = map.origin + map.step * (map.axis.map { start[$0] } ?? 0)
                    let last = first + map.step * (map.axis.map { Swift.max(shape[$0] - 1, 0) } ?? 0)
                    let block = sourceLayout.block(containing: first, along: dimension)
                    guard sourceLayout.block(containing: last, along: dimension) == block else {
                        throw LoomError(.invalidArgument, "internal: block \(index) of a fused expression spans two source blocks along dimension \(dimension)")
                    }
                    blockIndex[dimension] = block
                    within[dimension] = first - sourceLayout.starts[dimension][block]
                }
                inputShape = sourceLayout.blockShape(blockIndex)
                let blockStrides = NDArray<Double>.strides(of: inputShape!)
                for (dimension, map) in leaf.map.enumerated() {
                    offset += within[dimension] * blockStrides[dimension]
                    if let axis = map.axis { strides[axis] += map.step * blockStrides[dimension] }
                }
                let flat = sourceLayout.flat(blockIndex)
                // A block read by several leaves (`x + x.T` on a materialized x) is one input.
                let key: AnyHashable = if case .node(let node) = blocks[flat] { ObjectIdentifier(node) } else { [leafIndex, flat] }
                let position: Int
                if let known = inputPositions[key] {
                    position = known
                } else {
                    position = inputs.count
                    inputs.append(blocks[flat])
                    inputPositions[key] = position
                }
                source = .input(position)
            case .random, .range:
                let arrayStrides = NDArray<Double>.strides(of: leaf.sourceShape)
                for (dimension, map) in leaf.map.enumerated() {
                    let first = map.origin + map.step * (map.axis.map { start[$0] } ?? 0)
                    offset += first * arrayStrides[dimension]
                    if let axis = map.axis { strides[axis] += map.step * arrayStrides[dimension] }
                }
                if case .random(let seed) = leaf.source { source = .random(seed: seed) }
                if case .range(let first, let step) = leaf.source { source = .range(start: first, step: step) }
            }
            leaves.append(Leaf(source: source, offset: offset, strides: strides, inputShape: inputShape))
        }
        return (BlockProgram(shape: shape, leaves: leaves, code: code, constants: constants, reduction: nil, resultShape: nil), inputs)
    }
}
