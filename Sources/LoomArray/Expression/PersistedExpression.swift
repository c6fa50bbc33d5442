import LoomCore
import LoomDistributed

/// An array whose blocks are held by a cluster (`persist(on:)`): each block is a future's key,
/// so expressions built on it start from the stored blocks. The futures live as long as this
/// expression; when the last array using it goes, the cluster releases the blocks.
final class PersistedExpression<Element: ArrayElement>: ArrayExpression {
    let layout: ChunkLayout
    let blocks: [NodeInput]
    /// Held only to keep the blocks on the cluster.
    let futures: [Future<NDArray<Element>>]

    init(layout: ChunkLayout, blocks: [NodeInput], futures: [Future<NDArray<Element>>]) {
        self.layout = layout
        self.blocks = blocks
        self.futures = futures
    }

    var shape: [Int] { layout.shape }
    var name: String { "persisted" }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        Lowered(layout: layout, content: .blocks(blocks), name: name)
    }
}
