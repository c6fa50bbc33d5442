import Foundation
import LoomCore

/// The same values cut into other blocks.
///
/// Finer blocks of anything, and any blocks of generated values, cost no task: the fused
/// programs reading them just cover less. Otherwise each new block is one task copying the
/// pieces of the old blocks it overlaps. When that would connect too many old blocks to too
/// many new ones (a transpose-like change, rows to columns), the change goes in stages through
/// blocks between the two shapes, as Dask's tasks rechunk plans, so the graph stays small.
final class RechunkExpression<Element: ArrayElement>: ArrayExpression {
    let source: any ArrayExpression<Element>
    let chunks: Chunks
    let failure: LoomError?

    init(_ source: any ArrayExpression<Element>, chunks: Chunks) {
        self.source = source
        self.chunks = chunks
        if let failure = source.failure {
            self.failure = failure
        } else {
            do {
                _ = try chunks.layout(for: source.shape, elementBytes: MemoryLayout<Element>.stride, budget: 1 << 27)
                self.failure = nil
            } catch {
                self.failure = error as? LoomError ?? LoomError(.invalidArgument, "\(error)")
            }
        }
    }

    var shape: [Int] { source.shape }
    var name: String { "rechunk" }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.lower(source)
        let target = try chunks.layout(for: shape, elementBytes: MemoryLayout<Element>.stride, budget: lowering.budget.bytes)
        return try Self.rechunk(array, to: target, lowering: lowering)
    }

    static func rechunk(_ array: Lowered<Element>, to target: ChunkLayout, lowering: Lowering) throws -> Lowered<Element> {
        if target == array.layout { return array }
        if array.isGenerated || refines(target, array.layout) {
            return Lowered(layout: target, content: .fused(array.fused), name: array.name)
        }
        var current = try lowering.materialize(array)
        for stage in plan(from: current.layout, to: target) {
            current = assemble(current, into: stage, lowering: lowering)
        }
        return current
    }

    /// Whether every boundary of `coarse` is one of `fine`'s.
    static func refines(_ fine: ChunkLayout, _ coarse: ChunkLayout) -> Bool {
        zip(fine.starts, coarse.starts).allSatisfy { fineStarts, coarseStarts in Set(coarseStarts).isSubset(of: Set(fineStarts)) }
    }

    /// Old blocks read by all new blocks together: the edges of a one-stage rechunk.
    static func edges(from old: ChunkLayout, to new: ChunkLayout) -> Int {
        (0..<old.rank).reduce(1) { total, axis in
            total * overlaps(old.starts[axis], new.starts[axis]).reduce(0) { $0 + $1.count }
        }
    }

    /// For each new block along an axis, the old blocks it overlaps.
    static func overlaps(_ old: [Int], _ new: [Int]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var first = 0
        for block in 0..<(new.count - 1) {
            let start = new[block], end = new[block + 1]
            while first + 1 < old.count - 1 && old[first + 1] <= start { first += 1 }
            var last = first
            while last + 1 < old.count - 1 && old[last + 1] < end { last += 1 }
            result.append(first..<(last + 1))
        }
        return result
    }

    /// The layouts to go through: the target alone, or blocks of geometric-mean widths between
    /// the two when one stage would have many more edges than blocks.
    static func plan(from old: ChunkLayout, to new: ChunkLayout, depth: Int = 0) -> [ChunkLayout] {
        let blocks = old.blockCount + new.blockCount
        guard depth < 2, edges(from: old, to: new) > 4 * blocks else { return [new] }
        let middle = ChunkLayout((0..<old.rank).map { axis in
            let size = old.shape[axis]
            let oldWidth = Double(size) / Double(old.grid[axis]), newWidth = Double(size) / Double(new.grid[axis])
            return ChunkLayout.even(size: size, width: Swift.max(1, Int(Foundation.sqrt(oldWidth * newWidth).rounded())))
        })
        guard middle != old, middle != new, edges(from: old, to: middle) + edges(from: middle, to: new) < edges(from: old, to: new) else {
            return [new]
        }
        return plan(from: old, to: middle, depth: depth + 1) + plan(from: middle, to: new, depth: depth + 1)
    }

    /// One stage: each new block one task copying the pieces of the old blocks it overlaps.
    static func assemble(_ array: Lowered<Element>, into target: ChunkLayout, lowering: Lowering) -> Lowered<Element> {
        guard case .blocks(let oldBlocks) = array.content else { preconditionFailure("materialized") }
        let old = array.layout
        let overlapsPerAxis = (0..<old.rank).map { overlaps(old.starts[$0], target.starts[$0]) }
        let function = Element.kernels.assemble.erased
        var blocks: [NodeInput] = []
        for index in target.blockIndices {
            let start = target.blockStart(index), shape = target.blockShape(index)
            var inputs: [NodeInput] = []
            var pieces: [AssemblyPlan.Piece] = []
            for oldIndex in ChunkLayout.indices(of: overlapsPerAxis.enumerated().map { $1[index[$0]].count }).map({ offsets in
                offsets.enumerated().map { axis, offset in overlapsPerAxis[axis][index[axis]].lowerBound + offset }
            }) {
                let oldStart = old.blockStart(oldIndex), oldShape = old.blockShape(oldIndex)
                let lower = (0..<old.rank).map { Swift.max(start[$0], oldStart[$0]) }
                let upper = (0..<old.rank).map { Swift.min(start[$0] + shape[$0], oldStart[$0] + oldShape[$0]) }
                pieces.append(.init(
                    input: inputs.count, from: (0..<old.rank).map { lower[$0] - oldStart[$0] },
                    to: (0..<old.rank).map { lower[$0] - start[$0] }, extent: (0..<old.rank).map { Swift.max(0, upper[$0] - lower[$0]) },
                    inputShape: oldShape))
                inputs.append(oldBlocks[old.flat(oldIndex)])
            }
            blocks.append(lowering.task("rechunk", function, [.literal(AssemblyPlan(shape: shape, pieces: pieces, resultShape: nil)), .list(inputs)]))
        }
        return Lowered(layout: target, content: .blocks(blocks), name: "rechunk")
    }
}
