import LoomCore

/// The same elements, in row-major order, under another shape.
///
/// The dimensions are matched in groups whose sizes multiply alike (`[6, 4] → [24]`,
/// `[12] → [3, 4]`). Within a group a block must cover all but the group's first dimension, and
/// its first dimension in whole rows of the new shape; the array is rechunked to that first
/// (as Dask's `reshape_rechunk`), after which each block is one block of the result, the same
/// bytes under a new shape, with no copy.
final class ReshapeExpression<Element: ArrayElement>: ArrayExpression {
    struct Group: Equatable {
        var old: Range<Int>
        var new: Range<Int>
    }

    let source: any ArrayExpression<Element>
    let shape: [Int]
    let failure: LoomError?
    let groups: [Group]

    init(_ source: any ArrayExpression<Element>, shape requested: [Int]) {
        self.source = source
        let old = source.shape
        let count = old.reduce(1, *)
        var shape = requested
        var failure = source.failure
        if failure == nil, let unknown = requested.firstIndex(of: -1) {
            let known = requested.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            if requested.filter({ $0 == -1 }).count > 1 || known == 0 || count % known != 0 {
                failure = LoomError(.invalidArgument, "an array of shape \(old) cannot be reshaped to \(requested)")
            } else {
                shape[unknown] = count / known
            }
        }
        if failure == nil, shape.contains(where: { $0 < 0 }) || shape.reduce(1, *) != count {
            failure = LoomError(.invalidArgument, "an array of shape \(old) (\(count) elements) cannot be reshaped to \(requested)")
        }
        var groups: [Group] = []
        if failure == nil {
            if let matched = Self.groups(old: old, new: shape) { groups = matched } else {
                failure = LoomError(.invalidArgument, "reshaping \(old) to \(shape) is not supported (a dimension of size 0)")
            }
        }
        self.failure = failure
        self.shape = failure == nil ? shape : []
        self.groups = groups
    }

    var name: String { fusedName("reshape", source.name) }

    /// Dimensions matched in groups of equal products, scanning both shapes from the left;
    /// dimensions of length 1 join the group before them.
    static func groups(old: [Int], new: [Int]) -> [Group]? {
        guard !old.contains(0), !new.contains(0) else { return old == new ? old.indices.map { Group(old: $0..<($0 + 1), new: $0..<($0 + 1)) } : nil }
        var groups: [Group] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            let startOld = i, startNew = j
            var productOld = 1, productNew = 1
            if i < old.count { productOld *= old[i]; i += 1 }
            if j < new.count { productNew *= new[j]; j += 1 }
            while productOld != productNew {
                if productOld < productNew, i < old.count { productOld *= old[i]; i += 1 } else if j < new.count { productNew *= new[j]; j += 1 } else { return nil }
            }
            // Trailing 1s belong here, so every group is as short as can be.
            while i < old.count, old[i] == 1, j >= new.count || new[j] != 1 { i += 1 }
            while j < new.count, new[j] == 1, i >= old.count || old[i] != 1 { j += 1 }
            groups.append(Group(old: startOld..<i, new: startNew..<j))
        }
        return groups
    }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.lower(source)
        let old = array.shape
        // The layout each group needs: its later old dimensions whole, its first dimension in
        // blocks that are whole rows of the new dimensions after the group's first.
        var oldSizes = array.layout.sizes
        var newSizes = [[Int]](repeating: [], count: shape.count)
        for group in groups {
            guard let first = group.old.first else {
                for axis in group.new { newSizes[axis] = [1] }
                continue
            }
            let innerOld = group.old.dropFirst().reduce(1) { $0 * old[$1] }
            let innerNew = group.new.dropFirst().reduce(1) { $0 * shape[$1] }
            for axis in group.old.dropFirst() { oldSizes[axis] = [old[axis]] }
            // Blocks of the first old dimension: multiples of `unit` rows, near the old width.
            let unit = innerNew / gcd(innerNew, innerOld)
            let width = array.layout.sizes[first].max() ?? 1
            let target = Swift.max(unit, (width / unit) * unit)
            if !array.layout.sizes[first].dropLast().allSatisfy({ $0 % unit == 0 }) {
                oldSizes[first] = ChunkLayout.even(size: old[first], width: target)
            }
            guard let newFirst = group.new.first else { continue }
            newSizes[newFirst] = oldSizes[first].map { $0 * innerOld / innerNew }
            for axis in group.new.dropFirst() { newSizes[axis] = [shape[axis]] }
        }
        let ready = try lowering.materialize(try RechunkExpression<Element>.rechunk(array, to: ChunkLayout(oldSizes), lowering: lowering))
        guard case .blocks(let oldBlocks) = ready.content else { preconditionFailure("materialized") }
        let newLayout = ChunkLayout(newSizes)
        // Block for block: the nth block in row-major order of both grids holds the same elements.
        let function = Element.kernels.assemble.erased
        let blocks = zip(zip(oldBlocks, ready.layout.blockIndices), newLayout.blockIndices).map { old, index in
            let (block, oldIndex) = old
            let oldShape = ready.layout.blockShape(oldIndex)
            let plan = AssemblyPlan(
                shape: oldShape, pieces: [.init(input: 0, from: oldShape.map { _ in 0 }, to: oldShape.map { _ in 0 }, extent: oldShape, inputShape: oldShape)],
                resultShape: newLayout.blockShape(index))
            return lowering.task("reshape", function, [.literal(plan), .list([block])])
        }
        return Lowered(layout: newLayout, content: .blocks(blocks), name: name)
    }
}

func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? Swift.max(a, 1) : gcd(b, a % b) }
