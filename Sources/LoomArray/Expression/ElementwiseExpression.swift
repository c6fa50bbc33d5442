import LoomCore

/// An operand of an elementwise operation: an array or one value for every element.
enum Operand<In: ArrayElement>: Sendable {
    case array(any ArrayExpression<In>)
    case scalar(In)

    var shape: [Int] {
        if case .array(let array) = self { return array.shape }
        return []
    }

    var failure: LoomError? {
        if case .array(let array) = self { return array.failure }
        return nil
    }

    var name: String {
        if case .array(let array) = self { return array.name }
        return ""
    }
}

/// `op(a)` or `a op b` elementwise, with numpy's broadcasting: never a task of its own, it
/// joins its operands' fused programs (a task per block appears only where the blocks are
/// needed: a reduction, a matmul, `compute()`).
final class ElementwiseExpression<In: ArrayElement, Element: ArrayElement>: ArrayExpression {
    enum Operation: Sendable {
        case unary(UnaryOperation)
        case binary(BinaryOperation)
    }

    let operation: Operation
    let operands: [Operand<In>]
    let shape: [Int]
    let failure: LoomError?
    let name: String

    init(_ operation: Operation, _ operands: [Operand<In>], symbol: String) {
        self.operation = operation
        self.operands = operands
        let operationName: String
        switch operation {
        case .unary(let unary): operationName = unary.rawValue
        case .binary(let binary): operationName = binary.rawValue
        }
        self.name = operands.map(\.name).reduce(operationName) { fusedName($0, $1) }
        if let failure = operands.lazy.compactMap(\.failure).first {
            self.failure = failure
            self.shape = []
        } else if let shape = broadcastShape(operands.map(\.shape)) {
            self.failure = nil
            self.shape = shape
        } else {
            self.failure = LoomError(
                .invalidArgument,
                "operands of \(symbol) have shapes \(operands.map { "\($0.shape)" }.joined(separator: " and ")), which do not broadcast together")
            self.shape = []
        }
    }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        var arrays: [(Lowered<In>, [AxisMap])?] = []
        var contributions = [[[Int]]](repeating: [], count: shape.count)
        for operand in operands {
            guard case .array(let expression) = operand else { arrays.append(nil); continue }
            let array = try lowering.lower(expression)
            let padding = shape.count - array.shape.count
            var view: [AxisMap] = []
            for (axis, size) in array.shape.enumerated() {
                let target = axis + padding
                if size == shape[target] {
                    view.append(AxisMap(axis: target, step: 1, origin: 0))
                    contributions[target].append(array.layout.sizes[axis])
                } else {
                    view.append(AxisMap(axis: nil, step: 0, origin: 0))  // size 1, broadcast
                }
            }
            arrays.append((array, view))
        }
        let layout = ChunkLayout(shape.indices.map { axis in
            contributions[axis].dropFirst().reduce(contributions[axis].first ?? [shape[axis]]) { ChunkLayout.refinement($0, $1) }
        })
        // Every operand's program must compute in the same type: materialize any that does not.
        let types = Set(arrays.compactMap { $0.map { ObjectIdentifier($0.0.fused.inType) } })
        var parts: [Fused] = []
        for (operand, array) in zip(operands, arrays) {
            switch operand {
            case .scalar(let value):
                parts.append(.constant(value))
            case .array:
                var (lowered, view) = array!
                if types.count > 1 && ObjectIdentifier(lowered.fused.inType) != ObjectIdentifier(In.self) {
                    lowered = try lowering.materialize(lowered)
                }
                parts.append(lowered.fused.viewed(through: view))
            }
        }
        let fused: Fused
        switch operation {
        case .unary(let unary): fused = parts[0].applying(unary)
        case .binary(let binary): fused = parts[0].combined(with: parts[1], binary)
        }
        return Lowered(layout: layout, content: .fused(fused), name: name)
    }
}

/// numpy's broadcast of several shapes (aligned at the right; a 1 stretches), or nil.
func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
    let rank = shapes.map(\.count).max() ?? 0
    var result = [Int](repeating: 1, count: rank)
    for shape in shapes {
        let padding = rank - shape.count
        for (axis, size) in shape.enumerated() {
            let target = axis + padding
            if result[target] == 1 { result[target] = size } else if size != 1 && size != result[target] { return nil }
        }
    }
    return result
}

/// `astype`: the values converted as numpy converts them (floats to integers truncate).
final class CastExpression<In: ArrayElement, Element: ArrayElement>: ArrayExpression {
    let source: any ArrayExpression<In>
    init(_ source: any ArrayExpression<In>) { self.source = source }
    var shape: [Int] { source.shape }
    var failure: LoomError? { source.failure }
    var name: String { fusedName("astype", source.name) }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.lower(source)
        let fused = array.fused
        // A program already computing in the target type, holding values it can represent
        // (its own, or 0 and 1 of a comparison), stays fused; any other converts in a task.
        if ObjectIdentifier(fused.inType) == ObjectIdentifier(Element.self),
            In.self == Element.self || In.self == Bool.self
        {
            return Lowered(layout: array.layout, content: .fused(fused), name: name)
        }
        var blocks: [NodeInput] = []
        let function = fused.inType.blockwiseKernel(to: Element.self)
        for index in array.layout.blockIndices {
            let (program, inputs) = try fused.program(for: index, of: array.layout)
            blocks.append(lowering.task(name, function, [.literal(program), .list(inputs)]))
        }
        return Lowered(layout: array.layout, content: .blocks(blocks), name: name)
    }
}
