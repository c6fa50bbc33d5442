import LoomCore

/// How an array is cut into blocks.
///
/// `.shape([2_000, 2_000])` gives every block that shape (the last ones along a dimension may be
/// smaller); `.sizes([[…], […]])` lists each dimension's block sizes; `.auto` chooses them from a
/// byte budget (docs/array.md: `array.chunk-size`, or the workers' memory on a cluster).
public enum Chunks: Sendable, Equatable, ExpressibleByArrayLiteral {
    case shape([Int])
    case sizes([[Int]])
    /// Each dimension given as a size, or `nil` to be chosen from the budget.
    case partly([Int?])
    case auto

    public init(arrayLiteral elements: Int...) { self = .shape(elements) }

    /// Block sizes per dimension for an array of `shape`, or what is wrong.
    func layout(for shape: [Int], elementBytes: Int, budget: Int) throws -> ChunkLayout {
        switch self {
        case .shape(let widths):
            guard widths.count == shape.count else {
                throw LoomError(.invalidArgument, "chunks \(widths) have \(widths.count) dimension(s) but the array's shape \(shape) has \(shape.count)")
            }
            return ChunkLayout(try zip(shape, widths).enumerated().map { dimension, pair in
                let (size, width) = pair
                guard width > 0 else {
                    throw LoomError(.invalidArgument, "chunk size \(width) for dimension \(dimension) must be at least 1")
                }
                return ChunkLayout.even(size: size, width: width)
            })
        case .sizes(let sizes):
            guard sizes.count == shape.count else {
                throw LoomError(.invalidArgument, "chunk sizes name \(sizes.count) dimension(s) but the array's shape \(shape) has \(shape.count)")
            }
            for (dimension, blocks) in sizes.enumerated() {
                guard blocks.allSatisfy({ $0 >= 0 }), blocks.reduce(0, +) == shape[dimension], shape[dimension] == 0 || !blocks.isEmpty else {
                    throw LoomError(
                        .invalidArgument,
                        "chunk sizes \(blocks) of dimension \(dimension) add up to \(blocks.reduce(0, +)), but the dimension is \(shape[dimension]) long")
                }
            }
            return ChunkLayout(sizes.map { blocks in blocks.isEmpty ? [0] : blocks })
        case .partly(let widths):
            guard widths.count == shape.count else {
                throw LoomError(.invalidArgument, "chunks \(widths) have \(widths.count) dimension(s) but the array's shape \(shape) has \(shape.count)")
            }
            return try AutoChunks.layout(shape: shape, fixed: widths, elementBytes: elementBytes, budget: budget)
        case .auto:
            return try AutoChunks.layout(shape: shape, fixed: shape.map { _ in nil }, elementBytes: elementBytes, budget: budget)
        }
    }
}

/// Resolved block sizes: for each dimension, the length of each block along it.
public struct ChunkLayout: Sendable, Equatable, CustomStringConvertible {
    public let sizes: [[Int]]
    /// Where each block starts, per dimension (one more entry than blocks: the end).
    let starts: [[Int]]

    init(_ sizes: [[Int]]) {
        self.sizes = sizes
        self.starts = sizes.map { blocks in blocks.reduce(into: [0]) { $0.append($0.last! + $1) } }
    }

    /// Blocks of `width` along a dimension of `size`, the last one shorter if need be.
    static func even(size: Int, width: Int) -> [Int] {
        guard size > 0 else { return [0] }
        var blocks = [Int](repeating: width, count: size / width)
        if size % width != 0 { blocks.append(size % width) }
        return blocks
    }

    public var rank: Int { sizes.count }
    /// Blocks along each dimension.
    public var grid: [Int] { sizes.map(\.count) }
    public var blockCount: Int { grid.reduce(1, *) }
    public var shape: [Int] { sizes.map { $0.reduce(0, +) } }

    /// Block `index` (one position per dimension) as its shape.
    func blockShape(_ index: [Int]) -> [Int] {
        index.enumerated().map { dimension, position in sizes[dimension][position] }
    }

    /// The array offset where block `index` starts.
    func blockStart(_ index: [Int]) -> [Int] {
        index.enumerated().map { dimension, position in starts[dimension][position] }
    }

    /// Every block index in row-major order.
    var blockIndices: [[Int]] { Self.indices(of: grid) }

    /// The position of block `index` in row-major order.
    func flat(_ index: [Int]) -> Int {
        var flat = 0
        for (dimension, position) in index.enumerated() { flat = flat * grid[dimension] + position }
        return flat
    }

    /// Every index of a grid, row-major.
    static func indices(of grid: [Int]) -> [[Int]] {
        guard !grid.contains(0) else { return [] }
        var all: [[Int]] = []
        all.reserveCapacity(grid.reduce(1, *))
        var index = [Int](repeating: 0, count: grid.count)
        while true {
            all.append(index)
            var dimension = grid.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                if index[dimension] < grid[dimension] { break }
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { return all }
        }
    }

    /// The block along `dimension` holding array position `position`.
    func block(containing position: Int, along dimension: Int) -> Int {
        // starts is sorted: the last start at or before the position.
        var low = 0, high = sizes[dimension].count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[dimension][middle] <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }

    public var description: String { "(" + sizes.map { "(" + $0.map(String.init).joined(separator: ", ") + ")" }.joined(separator: ", ") + ")" }

    /// The common refinement of two layouts of one shape: every boundary of either, so each
    /// block lies within one block of each (Dask's `unify_chunks`).
    static func refinement(_ sizes: [Int], _ other: [Int]) -> [Int] {
        if sizes == other { return sizes }
        var boundaries = Set<Int>()
        var position = 0
        for size in sizes { position += size; boundaries.insert(position) }
        position = 0
        for size in other { position += size; boundaries.insert(position) }
        var result: [Int] = []
        var last = 0
        for boundary in boundaries.sorted() where boundary > last {
            result.append(boundary - last)
            last = boundary
        }
        return result.isEmpty ? [0] : result
    }
}
