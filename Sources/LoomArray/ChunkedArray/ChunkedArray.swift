import LoomCore

/// An n-dimensional array cut into blocks, computed lazily as a graph of tasks (Dask's
/// `dask.array`).
///
/// ```swift
/// let x = ChunkedArray<Double>.random(shape: [20_000, 20_000], chunks: .shape([2_000, 2_000]), seed: 1)
/// let y = (x + x.transposed()).mean(axis: 0).sum()      // a graph: nothing runs yet
/// let value = try await y.compute().scalar               // threads, the default
/// ```
/// Operations build an expression; `compute()` cuts it into blocks (choosing `.auto` chunks from
/// the budget of whatever computes it), fuses elementwise chains into one task per block, and
/// runs the graph. Mistakes (shapes that do not broadcast, an axis out of range) are kept and
/// thrown by `compute()`, naming the operation and the shapes; `error` shows them earlier.
public struct ChunkedArray<Element: ArrayElement>: Sendable {
    let expression: any ArrayExpression<Element>

    init(_ expression: any ArrayExpression<Element>) { self.expression = expression }

    init(failure: LoomError) { self.init(InvalidExpression<Element>(failure)) }

    public var shape: [Int] { expression.shape }
    public var rank: Int { shape.count }
    /// Elements in the whole array.
    public var count: Int { shape.reduce(1, *) }

    /// Why this array cannot be computed, if it cannot; `compute()` throws the same error.
    public var error: LoomError? { expression.failure }

    /// The blocks this array is cut into with the configured chunk budget (`array.chunk-size`).
    /// On a cluster `.auto` chunks may come out smaller: `chunks(budget:)` with
    /// `ChunkBudget.fitting(try await client.workerCapacities())` shows them.
    public var chunks: ChunkLayout {
        get throws { try chunks(budget: .configured) }
    }

    public func chunks(budget: ChunkBudget) throws -> ChunkLayout {
        try Lowering(budget: budget).lower(expression).layout
    }
}

// MARK: - Making arrays

extension ChunkedArray {
    /// An in-memory array, cut into blocks that travel with the graph.
    public init(_ array: NDArray<Element>, chunks: Chunks = .auto) {
        self = Self.validated(shape: array.shape, chunks: chunks, LiteralExpression(array, chunks: chunks))
    }

    /// `value` everywhere. Never stored: tasks that read it use the value itself.
    public static func full(shape: [Int], value: Element, chunks: Chunks = .auto) -> ChunkedArray {
        validated(shape: shape, chunks: chunks, GeneratedExpression(shape: shape, chunks: chunks, kind: .constant(value)))
    }

    public static func zeros(shape: [Int], chunks: Chunks = .auto) -> ChunkedArray {
        full(shape: shape, value: .zero, chunks: chunks)
    }

    public static func ones(shape: [Int], chunks: Chunks = .auto) -> ChunkedArray {
        full(shape: shape, value: .one, chunks: chunks)
    }

    /// Blocks made by a registered function of where each block lies, so every scheduler and
    /// cluster can make them; the function must return an array of `info.shape`.
    public static func fromBlocks(
        shape: [Int], chunks: Chunks = .auto, _ function: TaskFunction<BlockInfo, NDArray<Element>>
    ) -> ChunkedArray {
        validated(shape: shape, chunks: chunks, BlockFunctionExpression(shape: shape, chunks: chunks, function: function.erased))
    }

    /// Blocks made by a closure: the threads and synchronous schedulers only.
    public static func fromBlocks(
        shape: [Int], chunks: Chunks = .auto, name: String = "from-blocks", _ body: @escaping @Sendable (BlockInfo) throws -> NDArray<Element>
    ) -> ChunkedArray {
        let function = LocalFunction(name, body).erased
        return validated(shape: shape, chunks: chunks, BlockFunctionExpression(shape: shape, chunks: chunks, function: function))
    }

    /// The array, or the failure of a shape or chunk specification that is wrong whatever the
    /// budget (chunks that do not add up, a negative dimension).
    static func validated(shape: [Int], chunks: Chunks, _ expression: @autoclosure () -> any ArrayExpression<Element>) -> ChunkedArray {
        if let problem = NDArray<Element>.problem(with: shape) { return ChunkedArray(failure: LoomError(.invalidArgument, problem)) }
        do {
            _ = try chunks.layout(for: shape, elementBytes: MemoryLayout<Element>.stride, budget: 1 << 27)
        } catch let error as LoomError {
            return ChunkedArray(failure: error)
        } catch {
            return ChunkedArray(failure: LoomError(.invalidArgument, "\(error)"))
        }
        return ChunkedArray(expression())
    }
}

extension ChunkedArray where Element: FloatingElement {
    /// Uniform in [0, 1), the same values whatever the chunks (each element's value depends
    /// only on the seed and its position), never stored: each task generates what it reads.
    public static func random(shape: [Int], chunks: Chunks = .auto, seed: UInt64 = 0) -> ChunkedArray {
        validated(shape: shape, chunks: chunks, GeneratedExpression(shape: shape, chunks: chunks, kind: .random(seed: seed)))
    }
}

extension ChunkedArray where Element: NumericElement {
    /// `start, start + step, …` below `stop` (numpy's `arange`), one dimension.
    public static func arange(start: Element = .zero, stop: Element, step: Element = .one, chunks: Chunks = .auto) -> ChunkedArray {
        let length: Int
        let span = Element.subtract(stop, start).asDouble, stride = step.asDouble
        guard stride != 0 else { return ChunkedArray(failure: LoomError(.invalidArgument, "arange with step 0")) }
        length = Swift.max(0, Int((span / stride).rounded(.up)))
        return validated(shape: [length], chunks: chunks, GeneratedExpression(shape: [length], chunks: chunks, kind: .range(start: start, step: step)))
    }

    public static func arange(_ count: Int, chunks: Chunks = .auto) -> ChunkedArray {
        arange(start: .zero, stop: Element(fromInt64: Int64(count)), step: .one, chunks: chunks)
    }
}
