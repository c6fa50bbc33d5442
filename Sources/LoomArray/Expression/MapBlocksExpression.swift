import LoomCore

/// A function applied to every block (Dask's `map_blocks`): one task per block, blocks of the
/// same shape back, or of the sizes `chunks` gives (as many per dimension as the input has).
/// A registered `TaskFunction` runs anywhere; a closure, on the threads and synchronous
/// schedulers only. A block of another shape than its place calls for is an error where it is
/// read, never misread.
final class MapBlocksExpression<In: ArrayElement, Element: ArrayElement>: ArrayExpression {
    let source: any ArrayExpression<In>
    let function: AnyTaskFunction
    let chunks: [[Int]]?
    let shape: [Int]
    let failure: LoomError?

    init(_ source: any ArrayExpression<In>, function: AnyTaskFunction, chunks: [[Int]]? = nil) {
        self.source = source
        self.function = function
        self.chunks = chunks
        if let chunks, source.failure == nil, chunks.count != source.shape.count || chunks.joined().contains(where: { $0 < 0 }) {
            failure = LoomError(
                .invalidArgument, "mapBlocks chunks \(chunks) must give non-negative block sizes for each of the \(source.shape.count) dimension(s) of shape \(source.shape)")
            shape = []
        } else {
            failure = source.failure
            shape = chunks.map { $0.map { $0.reduce(0, +) } } ?? source.shape
        }
    }

    var name: String { function.name }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.blocks(source)
        guard case .blocks(let blocks) = array.content else { preconditionFailure("materialized") }
        var layout = array.layout
        if let chunks {
            guard chunks.map(\.count) == layout.grid else {
                throw LoomError(
                    .invalidArgument,
                    "mapBlocks chunks \(chunks) give \(chunks.map(\.count)) block(s) per dimension, but the array has \(layout.grid) (chunks \(layout))")
            }
            layout = ChunkLayout(chunks)
        }
        return Lowered(layout: layout, content: .blocks(blocks.map { lowering.task(name, function, [$0]) }), name: name)
    }
}
