import LoomCore

/// A transpose, a slice, a broadcast or a new axis: each output position reads one source
/// position (`AxisMap` per source dimension). Views cost no task: they change which elements
/// the fused programs that read them load.
final class ViewExpression<Element: ArrayElement>: ArrayExpression {
    /// Per output axis, how its blocks follow the source's.
    enum AxisLayout: Sendable {
        /// The source axis's blocks (a transpose moves them).
        case source(Int)
        /// Positions `start, start + step, …` (`count` of them) of the source axis: a block per
        /// run within one source block.
        case selection(sourceAxis: Int, start: Int, step: Int, count: Int)
        /// A new axis (or a broadcast one): one block of this length.
        case whole(Int)
    }

    let source: any ArrayExpression<Element>
    let view: [AxisMap]
    let axes: [AxisLayout]
    let shape: [Int]
    let name: String

    init(_ source: any ArrayExpression<Element>, view: [AxisMap], axes: [AxisLayout], shape: [Int], name: String) {
        self.source = source
        self.view = view
        self.axes = axes
        self.shape = shape
        self.name = fusedName(name, source.name)
    }

    var failure: LoomError? { source.failure }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.lower(source)
        let sizes = axes.map { axis -> [Int] in
            switch axis {
            case .source(let sourceAxis): return array.layout.sizes[sourceAxis]
            case .whole(let length): return [length]
            case .selection(let sourceAxis, let start, let step, let count):
                return Self.selectionSizes(array.layout, axis: sourceAxis, start: start, step: step, count: count)
            }
        }
        return Lowered(layout: ChunkLayout(sizes), content: .fused(array.fused.viewed(through: view)), name: name)
    }

    /// Blocks of a stepped selection: consecutive picks that fall in one source block.
    static func selectionSizes(_ layout: ChunkLayout, axis: Int, start: Int, step: Int, count: Int) -> [Int] {
        guard count > 0 else { return [0] }
        var sizes: [Int] = []
        var current = -1, run = 0
        for pick in 0..<count {
            let block = layout.block(containing: start + pick * step, along: axis)
            if block == current {
                run += 1
            } else {
                if run > 0 { sizes.append(run) }
                current = block
                run = 1
            }
        }
        sizes.append(run)
        return sizes
    }
}
